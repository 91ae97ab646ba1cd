import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { MESSAGE_LOG, MessageLog } from '@streamfold/messaging';
import { ProjectionDefinition, ProjectionRunner, ProjectionRunnerOptions } from '@streamfold/projections';
import { Database, PROJECTIONS_DATABASE, STREAMFOLD_CONFIG, StreamfoldConfig } from '@streamfold/runtime';
import { MetricsService } from '../runtime/metrics';

/** The projections this process runs and the options every runner shares. */
export interface ProjectionsModuleOptions {
  projections: ProjectionDefinition[];
  /** Options for every runner (metrics registry and logger are filled in by the module). */
  runner?: Omit<ProjectionRunnerOptions, 'version' | 'registry' | 'logger'>;
}

/** Nest injection token of the ProjectionsModuleOptions. */
export const PROJECTIONS_OPTIONS = Symbol('PROJECTIONS_OPTIONS');

/**
 * One runner per projection. They start after every module is initialised when this process runs
 * workers (config `workers`), and stop before shutdown so the last batches commit and the group
 * hands their partitions over at once instead of after a session timeout.
 */
@Injectable()
export class ProjectionRegistry implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Projections');
  private readonly runners = new Map<string, ProjectionRunner>();

  constructor(
    @Inject(PROJECTIONS_DATABASE) private readonly db: Database,
    @Inject(MESSAGE_LOG) private readonly log: MessageLog,
    private readonly metrics: MetricsService,
    @Inject(STREAMFOLD_CONFIG) private readonly config: StreamfoldConfig,
    @Inject(PROJECTIONS_OPTIONS) private readonly options: ProjectionsModuleOptions,
  ) {
    const names = options.projections.map((p) => p.name);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice) throw new Error(`projection ${twice} is registered twice`);
    // Reader views are named by base table: two projections owning one would swap each other's view.
    const owners = new Map<string, string>();
    for (const p of options.projections) {
      for (const table of p.tables) {
        if (owners.has(table)) throw new Error(`table "${table}" belongs to both ${owners.get(table)} and ${p.name}`);
        owners.set(table, p.name);
      }
    }
    for (const definition of options.projections) {
      this.runners.set(
        definition.name,
        new ProjectionRunner(db, log, definition, {
          synchronousCommit: this.synchronousCommit,
          ...options.runner,
          registry: metrics.registry,
          logger: { log: (m) => this.logger.log(m), warn: (m) => this.logger.warn(m), error: (m) => this.logger.error(m) },
        }),
      );
    }
  }

  /** Whether read models' batches wait for their WAL flush (PROJECTIONS_SYNCHRONOUS_COMMIT, or the module's runner options); rebuilds follow it. */
  get synchronousCommit(): boolean {
    return this.options.runner?.synchronousCommit ?? this.config.projectionsSynchronousCommit;
  }

  get definitions(): ProjectionDefinition[] {
    return this.options.projections;
  }

  /** Throws naming the registered projections when `name` is not one of them. */
  get(name: string): ProjectionRunner {
    const runner = this.runners.get(name);
    if (!runner) throw new Error(`unknown projection "${name}" (registered: ${[...this.runners.keys()].join(', ') || 'none'})`);
    return runner;
  }

  all(): ProjectionRunner[] {
    return [...this.runners.values()];
  }

  /** Waits for every running projection (see ProjectionRunner.waitUntilCaughtUp). @param timeoutMs @default 30000 */
  async waitUntilCaughtUp(timeoutMs = 30000): Promise<void> {
    await Promise.all(this.all().filter((r) => r.running).map((r) => r.waitUntilCaughtUp(timeoutMs)));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.workers) {
      this.logger.log(`workers disabled: ${this.runners.size} projection(s) not started in this process`);
      return;
    }
    await Promise.all(this.all().map((r) => r.start()));
    this.logger.log(`started ${this.all().map((r) => `${r.name}@v${r.version}`).join(', ') || 'no projections'}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.all().map((r) => r.stop()));
  }
}
