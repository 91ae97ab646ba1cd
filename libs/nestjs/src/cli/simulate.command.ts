import { UsageError } from '@streamfold/runtime';
import { Command, CommandRunner, Option } from 'nest-commander';
import { CliInfrastructure } from './cli-infrastructure';

function positiveInt(name: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${name} must be an integer between 1 and ${max}`);
    return n;
  };
}

interface SimulateFlags {
  url?: string;
  users?: number;
  rate?: number;
  duration?: number;
  concurrency?: number;
  param?: Record<string, string>;
}

@Command({
  name: 'simulate',
  arguments: '<context>',
  description: 'Generate realistic traffic for a context against a running instance, with progress (`simulate list` shows the simulators)',
})
export class SimulateCommand extends CommandRunner {
  constructor(private readonly cli: CliInfrastructure) {
    super();
  }

  async run([name]: string[], o: SimulateFlags): Promise<void> {
    const available = this.cli.contexts.filter((c) => c.simulator);
    if (name === 'list') {
      for (const c of available) {
        const params = Object.entries(c.simulator!.params ?? {}).map(([k, v]) => `\n    --param ${k}=…  ${v}`).join('');
        console.log(`${c.name.padEnd(12)} ${c.simulator!.description}${params}`);
      }
      return;
    }
    const context = available.find((c) => c.name === name);
    if (!context) throw new UsageError(`no simulator for "${name}": available: ${available.map((c) => c.name).join(', ') || 'none'}`);
    const simulator = context.simulator!;
    const known = Object.keys(simulator.params ?? {});
    const unknown = Object.keys(o.param ?? {}).filter((k) => !known.includes(k));
    if (unknown.length > 0) throw new UsageError(`unknown --param ${unknown.join(', ')} for ${name}; known: ${known.join(', ') || 'none'}`);
    const d = simulator.defaults ?? {};
    const result = await simulator.run({
      baseUrl: o.url ?? `http://127.0.0.1:${this.cli.config.port}`,
      jwtSecret: this.cli.config.jwtSecret,
      users: o.users ?? d.users ?? 2000,
      rate: o.rate ?? d.rate ?? 200,
      durationSeconds: o.duration ?? d.durationSeconds ?? 30,
      concurrency: o.concurrency ?? d.concurrency ?? 64,
      params: o.param ?? {},
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
  @Option({ flags: '--users <n>', description: 'distinct users (default per simulator, usually 2000)' })
  parseUsers(v: string): number {
    return positiveInt('--users', 1_000_000)(v);
  }
  @Option({ flags: '--rate <n>', description: 'requests per second (default per simulator, usually 200)' })
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
  @Option({ flags: '--param <name=value>', description: 'a simulator-specific parameter (repeatable; see `simulate list`)' })
  parseParam(v: string, previous: Record<string, string> = {}): Record<string, string> {
    const match = /^([A-Za-z][\w-]*)=(.+)$/.exec(v);
    if (!match) throw new UsageError('--param must look like name=value');
    return { ...previous, [match[1]]: match[2] };
  }
}
