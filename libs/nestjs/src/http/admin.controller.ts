import { BadRequestException, Controller, Get, HttpCode, Inject, Logger, NotFoundException, Param, ParseIntPipe, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Roles } from '@streamfold/auth';
import { PostgresEventStore } from '@streamfold/eventstore';
import { MESSAGE_LOG, MessageLog } from '@streamfold/messaging';
import { DeadLetterRefused, DeadLetters, projectionStatus, rebuildProjection, RebuildProgress } from '@streamfold/projections';
import { Database } from '@streamfold/runtime';
import type { ContextDefinition } from '../context/context';
import { contextRouter } from '../context/context';
import { STREAMFOLD_CONTEXTS } from '../context/streamfold.module';
import { ProjectionRegistry } from '../projections/projection-registry';
import { DeadLetterResponse, ProjectionStatusResponse, RebuildStartedResponse } from './admin.dto';
import { invalidField } from './api-error';
import { ApiCommand, ApiRead } from './openapi.decorators';

const STATUSES = ['pending', 'replayed', 'discarded'];
const DEAD_LETTER_ID = new ParseIntPipe({ exceptionFactory: () => invalidField('id', 'id must be an integer') });

const ADMIN_ONLY = { status: 403, description: 'The token lacks the `admin` role.' } as const;

/** Operations on projections and dead letters: admin role only (docs/architecture.md, invariant 9). */
@ApiTags('admin')
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
  @ApiRead({ operationId: 'listProjections', summary: 'Status of every projection and processor', errors: [ADMIN_ONLY] })
  @ApiOkResponse({ type: [ProjectionStatusResponse] })
  async status() {
    const statuses = await projectionStatus(this.db, this.log, this.projections.definitions);
    return statuses.map((s) => ({ ...s, rebuild: this.rebuilds.get(s.name) ?? null }));
  }

  /** Starts a rebuild beside the live version; follow it with GET /admin/projections. */
  @Post('projections/:name/rebuild')
  @HttpCode(202)
  @ApiCommand({ operationId: 'rebuildProjection', summary: 'Rebuild a projection beside its live version', errors: [ADMIN_ONLY, 404] })
  @ApiQuery({ name: 'from', required: false, enum: ['kafka', 'event-store'], description: 'where to read the history from (the event store when Kafka retention dropped data)' })
  @ApiAcceptedResponse({ type: RebuildStartedResponse })
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
      synchronousCommit: this.projections.synchronousCommit,
      onProgress: (p) => this.rebuilds.set(name, p),
    }).catch((error: Error) => {
      this.logger.error(`rebuild of ${name} failed: ${error.message}`);
      this.rebuilds.set(name, { failed: error.message });
    });
    return { projection: name, from, started: true };
  }

  @Get('dead-letters')
  @ApiRead({ operationId: 'listDeadLetters', summary: 'Dead letters, newest first (at most 1000)', errors: [400, ADMIN_ONLY] })
  @ApiQuery({ name: 'status', required: false, enum: STATUSES })
  @ApiQuery({ name: 'projection', required: false, type: String })
  @ApiOkResponse({ type: [DeadLetterResponse] })
  list(@Query('status') status?: string, @Query('projection') projection?: string) {
    if (status !== undefined && !STATUSES.includes(status)) throw new BadRequestException(`status must be one of ${STATUSES.join(', ')}`);
    return this.deadLetters.list({ status: status as never, projection, limit: 1000 });
  }

  @Post('dead-letters/:id/replay')
  @ApiCommand({ operationId: 'replayDeadLetter', summary: 'Apply a dead letter once, after a fix', errors: [ADMIN_ONLY] })
  @ApiCreatedResponse({ type: DeadLetterResponse, description: 'replayed (201 for historical reasons: nothing is created)' })
  replay(@Param('id', DEAD_LETTER_ID) id: number) {
    return this.refusalsAreConflicts(() => this.deadLetters.replay(id));
  }

  @Post('dead-letters/:id/discard')
  @ApiCommand({ operationId: 'discardDeadLetter', summary: 'Mark a dead letter as never to be applied', errors: [ADMIN_ONLY] })
  @ApiCreatedResponse({ type: DeadLetterResponse, description: 'discarded (201 for historical reasons: nothing is created)' })
  discard(@Param('id', DEAD_LETTER_ID) id: number) {
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
