import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { EventRegistry } from '@streamfold/core';
import { PostgresEventStore } from '@streamfold/eventstore';
import { Infrastructure, StreamfoldConfig } from '@streamfold/runtime';
import { HostOptions, readConfig, startInfrastructure } from '../bootstrap/boot';
import type { ContextDefinition } from '../context/context';
import { STREAMFOLD_CONTEXTS } from '../context/streamfold.module';
import { contextRegistry } from '../host/streamfold-host.module';
import { LakeSetup, lakeSetup } from '../lake/lake-setup';

/** Injection token of the host options the CLI was started with. */
export const CLI_HOST_OPTIONS = Symbol('CLI_HOST_OPTIONS');

/** Opens the database and log on first use, so commands that need neither start instantly. */
@Injectable()
export class CliInfrastructure implements OnApplicationShutdown {
  private infra: Promise<Infrastructure> | null = null;
  readonly config: StreamfoldConfig = readConfig();
  readonly registry: EventRegistry;

  constructor(
    @Inject(STREAMFOLD_CONTEXTS) readonly contexts: ContextDefinition[],
    @Inject(CLI_HOST_OPTIONS) readonly host: HostOptions,
  ) {
    this.registry = contextRegistry(contexts);
  }

  open(options: { schema?: 'apply' | 'check' | 'skip'; createTopics?: boolean } = {}): Promise<Infrastructure> {
    this.infra ??= startInfrastructure(this.config, this.contexts, { ...options, host: this.host });
    return this.infra;
  }

  /** The lake's settings and the contexts' lake declarations, validated on first use. */
  lake(): LakeSetup {
    this.lakeSetup ??= lakeSetup(this.config, this.contexts);
    return this.lakeSetup;
  }

  private lakeSetup: LakeSetup | null = null;

  /** The event store with every context's event registry, so reads are upcast. */
  async eventStore(): Promise<PostgresEventStore> {
    return new PostgresEventStore((await this.open({ createTopics: false })).database, this.registry);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.infra) await (await this.infra).close();
  }
}
