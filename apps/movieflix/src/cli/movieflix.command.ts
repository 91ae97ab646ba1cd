import { CommandRunner, Command, Option, SubCommand } from 'nest-commander';
import { CliInfrastructure } from '@streamfold/nestjs';
import { join } from 'node:path';
import { movieflixDataDir } from '../catalog/catalog';
import { RECOMMENDER_NAME } from '../processors/recommender.processor';
import { warmStartRecommender, WarmInteraction } from '../processors/warm-start';
import { EvaluateCommand } from './evaluate.command';
import { readRatingsFile } from './ratings-file';

/**
 * `cli movieflix warm-start [--ratings <file>]`: teaches an empty recommender the MovieLens
 * history (users become `ml-<id>`) through the live fold, in one transaction.
 */
@SubCommand({ name: 'warm-start', description: 'Fill an empty recommender from MovieLens ratings (default: the vendored set), through the processor fold' })
export class WarmStartCommand extends CommandRunner {
  constructor(private readonly cli: CliInfrastructure) {
    super();
  }

  async run(_: string[], flags: { ratings?: string }): Promise<void> {
    const input = readRatingsFile(flags.ratings ?? join(movieflixDataDir(), 'ratings.csv.gz'));
    const movies = new Map(input.movies.map((m) => [m.itemId, m]));
    const history: WarmInteraction[] = [...input.records]
      .sort((a, b) => a.at - b.at || a.line - b.line)
      .map((r) => ({ userId: `ml-${r.userId}`, itemId: r.itemId, at: r.at, title: movies.get(r.itemId)?.title ?? r.itemId, genres: movies.get(r.itemId)?.genres ?? [] }));
    const recommender = this.cli.contexts.flatMap((c) => c.projections).find((p) => p.name === RECOMMENDER_NAME);
    if (!recommender) throw new Error(`${RECOMMENDER_NAME} is not registered in this host`);
    const { database } = await this.cli.open({ createTopics: false });
    const result = await warmStartRecommender(database, recommender, () => history, {
      onProgress: (phase, done) => process.stderr.write(`\r${phase} ${done}   `),
    });
    process.stderr.write('\n');
    console.log(JSON.stringify(result));
  }

  @Option({ flags: '--ratings <file>', description: 'ratings.csv or u.data, plain or .gz' })
  parseRatings(value: string): string {
    return value;
  }
}

/** `cli movieflix <evaluate|warm-start>`: the MovieFlix context's own commands. */
@Command({ name: 'movieflix', description: 'MovieFlix: evaluate the recommender, warm-start it', subCommands: [EvaluateCommand, WarmStartCommand] })
export class MovieflixCommand extends CommandRunner {
  async run(): Promise<void> {
    console.log('usage: cli movieflix evaluate --ratings <file> [--seed 1] | cli movieflix warm-start [--ratings <file>]');
  }
}
