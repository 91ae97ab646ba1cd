import { BadRequestException, Controller, Get, HttpCode, Inject, Logger, NotFoundException, Param, ParseIntPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '@streamfold/auth';
import { PostgresEventStore } from '@streamfold/eventstore';
import { MESSAGE_LOG, MessageLog } from '@streamfold/messaging';
import { DeadLetterRefused, DeadLetters, projectionStatus, rebuildProjection, RebuildProgress } from '@streamfold/projections';
import { Database } from '@streamfold/runtime';
import type { ContextDefinition } from '../context/context';
import { contextRouter } from '../context/context';
import { STREAMFOLD_CONTEXTS } from '../context/streamfold.module';
import { ProjectionRegistry } from '../projections/projection-registry';

const STATUSES = ['pending', 'replayed', 'discarded'];

/** Operations on projections and dead letters: admin role only (docs/architecture.md, invariant 9). */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin')
export class AdminController {
  private readonly logger = new Logger('Admin');
  private readonly rebuilds = new Map<string, RebuildProgress | { failed: string }>();

  constructor(
    private readonly db: Database,
    @Inject(MESSAGE_LOG) private readonly log: MessageLog,
    private readonly projections: ProjectionRegistry,
    private readonly deadLetters: DeadLetters,
    private readonly store: PostgresEventStore,
    @Inject(STREAMFOLD_CONTEXTS) contexts: ContextDefinition[],
  ) {
    this.route = contextRouter(contexts);
  }

  private readonly route: ReturnType<typeof contextRouter>;

  @Get('projections')
  async status() {
    const statuses = await projectionStatus(this.db, this.log, this.projections.definitions);
    return statuses.map((s) => ({ ...s, rebuild: this.rebuilds.get(s.name) ?? null }));
  }

  /** Starts a rebuild beside the live version; follow it with GET /admin/projections. */
  @Post('projections/:name/rebuild')
  @HttpCode(202)
  rebuild(@Param('name') name: string, @Query('from') from = 'kafka') {
    const definition = this.projections.definitions.find((d) => d.name === name);
    if (!definition) throw new NotFoundException(`unknown projection ${name}`);
    if (definition.kind === 'processor') {
      throw new BadRequestException(`${name} is a processor: its output is already in the log, and rebuilding it would emit everything again`);
    }
    if (from !== 'kafka' && from !== 'event-store') throw new BadRequestException('from must be kafka or event-store');
    const running = this.rebuilds.get(name);
    if (running && 'phase' in running && running.phase !== 'done') throw new BadRequestException(`a rebuild of ${name} is already running`);
    void rebuildProjection({
      db: this.db,
      log: this.log,
      definition,
      from,
      readAll: (after, limit) => this.store.readAll(after, limit),
      route: this.route,
      onProgress: (p) => this.rebuilds.set(name, p),
    }).catch((error: Error) => {
      this.logger.error(`rebuild of ${name} failed: ${error.message}`);
      this.rebuilds.set(name, { failed: error.message });
    });
    return { projection: name, from, started: true };
  }

  @Get('dead-letters')
  list(@Query('status') status?: string, @Query('projection') projection?: string) {
    if (status !== undefined && !STATUSES.includes(status)) throw new BadRequestException(`status must be one of ${STATUSES.join(', ')}`);
    return this.deadLetters.list({ status: status as never, projection, limit: 1000 });
  }

  @Post('dead-letters/:id/replay')
  replay(@Param('id', ParseIntPipe) id: number) {
    return this.refusalsAreConflicts(() => this.deadLetters.replay(id));
  }

  @Post('dead-letters/:id/discard')
  discard(@Param('id', ParseIntPipe) id: number) {
    return this.refusalsAreConflicts(() => this.deadLetters.discard(id));
  }

  private async refusalsAreConflicts<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof DeadLetterRefused) throw new BadRequestException(error.message);
      throw error;
    }
  }
}
