import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { MESSAGE_LOG, MessageLog } from '@streamfold/messaging';
import { STREAMFOLD_CONFIG, StreamfoldConfig } from '@streamfold/runtime';
import { RunningLakeSink, runLakeSink } from '@streamfold/sink';
import { LakeSetup } from './lake-setup';

/** Consumer group of the sink role; members share the partitions, the file names fence the rest. */
export const LAKE_SINK_GROUP = 'sink.lake';

/**
 * Runs the lake sink over every hosted topic while this process has the `sink` role (the default
 * process has every role, so `npm start` fills the lake too). It stops before the log closes: a
 * flush cut short is only re-written on the next start, but stopping cleanly saves that work.
 */
@Injectable()
export class LakeSinkWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('LakeSink');
  private running: RunningLakeSink | null = null;

  constructor(
    @Inject(MESSAGE_LOG) private readonly log: MessageLog,
    @Inject(STREAMFOLD_CONFIG) private readonly config: StreamfoldConfig,
    private readonly lake: LakeSetup,
  ) {}

  /** The running sink, null when this process does not have the `sink` role. */
  get sink(): RunningLakeSink | null {
    return this.running;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.sink) return;
    this.running = await runLakeSink({
      log: this.log,
      topics: this.lake.topics,
      config: this.lake.config,
      schemas: this.lake.schemas,
      groupId: LAKE_SINK_GROUP,
      logger: { log: (m) => this.logger.log(m), warn: (m) => this.logger.warn(m) },
    });
    this.logger.log(`writing ${this.lake.topics.length} topics into ${this.lake.config.dir}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    const running = this.running;
    this.running = null;
    await running?.stop();
  }
}
