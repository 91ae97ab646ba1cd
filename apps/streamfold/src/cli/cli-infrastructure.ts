import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Infrastructure, StreamfoldConfig } from '@streamfold/runtime';
import { readConfig, startInfrastructure } from '../boot';

/** Opens the database and log on first use, so commands that need neither start instantly. */
@Injectable()
export class CliInfrastructure implements OnApplicationShutdown {
  private infra: Promise<Infrastructure> | null = null;
  readonly config: StreamfoldConfig = readConfig();

  open(options: { schema?: 'apply' | 'check' | 'skip'; createTopics?: boolean } = {}): Promise<Infrastructure> {
    this.infra ??= startInfrastructure(this.config, options);
    return this.infra;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.infra) await (await this.infra).close();
  }
}
