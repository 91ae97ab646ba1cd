import { Command, CommandRunner, Option } from 'nest-commander';
import { UsageError } from '@streamfold/runtime';
import { runLaunchDay } from '../../../social/src/simulator/launch-day';
import { CliInfrastructure } from './cli-infrastructure';

function positiveInt(name: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${name} must be an integer between 1 and ${max}`);
    return n;
  };
}

@Command({
  name: 'simulate',
  arguments: '<app>',
  description: 'Generate realistic traffic against a running instance. Apps: social (launch-day spike: likes, comments, posts on Zipf-popular posts)',
})
export class SimulateCommand extends CommandRunner {
  constructor(private readonly cli: CliInfrastructure) {
    super();
  }

  async run([app]: string[], o: { url?: string; users?: number; posts?: number; rate?: number; duration?: number; concurrency?: number }): Promise<void> {
    if (app !== 'social') throw new UsageError(`unknown app "${app}": available: social`);
    const baseUrl = o.url ?? `http://127.0.0.1:${this.cli.config.port}`;
    const result = await runLaunchDay({
      baseUrl,
      jwtSecret: this.cli.config.jwtSecret,
      users: o.users ?? 2000,
      posts: o.posts ?? 100,
      rate: o.rate ?? 200,
      durationSeconds: o.duration ?? 30,
      concurrency: o.concurrency ?? 64,
      onProgress: (p) =>
        process.stderr.write(
          `\r[${p.elapsedSeconds.toFixed(0)}s] sent=${p.sent} ok=${p.ok} rejected=${p.rejected} failed=${p.failed} rate=${p.ratePerSecond.toFixed(0)}/s p50=${p.p50Ms.toFixed(1)}ms p99=${p.p99Ms.toFixed(1)}ms   `,
        ),
    });
    process.stderr.write('\n');
    console.log(JSON.stringify(result));
  }

  @Option({ flags: '--url <url>', description: 'base URL of the instance (default http://127.0.0.1:$PORT)' })
  parseUrl(v: string): string {
    if (!/^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(v)) throw new UsageError('--url must be a loopback http URL, e.g. http://127.0.0.1:3000');
    return v;
  }
  @Option({ flags: '--users <n>', description: 'distinct users (default 2000)' })
  parseUsers(v: string): number {
    return positiveInt('--users', 1_000_000)(v);
  }
  @Option({ flags: '--posts <n>', description: 'posts created before the spike (default 100)' })
  parsePosts(v: string): number {
    return positiveInt('--posts', 100_000)(v);
  }
  @Option({ flags: '--rate <n>', description: 'requests per second (default 200)' })
  parseRate(v: string): number {
    return positiveInt('--rate', 20_000)(v);
  }
  @Option({ flags: '--duration <s>', description: 'seconds of traffic (default 30, at most 3600)' })
  parseDuration(v: string): number {
    return positiveInt('--duration', 3600)(v);
  }
  @Option({ flags: '--concurrency <n>', description: 'requests in flight at most (default 64)' })
  parseConcurrency(v: string): number {
    return positiveInt('--concurrency', 1024)(v);
  }
}
