import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Post } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public, signToken } from '@streamfold/auth';
import { MESSAGE_LOG, MessageLog } from '@streamfold/messaging';
import { projectionStatus } from '@streamfold/projections';
import { Database, DEV_JWT_SECRET, STREAMFOLD_CONFIG, StreamfoldConfig } from '@streamfold/runtime';
import type { ContextDefinition } from '../context/context';
import { STREAMFOLD_CONTEXTS } from '../context/streamfold.module';
import { GRAPHQL_PATH } from '../graphql/graphql.module';
import { invalidField } from '../http/api-error';
import { ApiRead } from '../http/openapi.decorators';
import { ProjectionRegistry } from '../projections/projection-registry';
import { DashboardConfigResponse, PipelineSummaryResponse } from './dashboard.dto';

const USER_ID = /^[A-Za-z0-9_.@-]{1,64}$/;

/**
 * What a host's live dashboard reads, whatever page the host serves (the reference host's is in
 * apps/streamfold/dashboard): its discovery (`/dashboard/config`), a public pipeline summary (lag,
 * throughput, dead letters: numbers only, so no admin token in a browser), and on the embedded
 * default only, development tokens. No page and no context names here: the framework knows none.
 */
@ApiTags('dashboard')
@Controller()
export class DashboardController {
  constructor(
    @Inject(STREAMFOLD_CONTEXTS) private readonly contexts: ContextDefinition[],
    @Inject(STREAMFOLD_CONFIG) private readonly config: StreamfoldConfig,
    @Inject(MESSAGE_LOG) private readonly log: MessageLog,
    private readonly db: Database,
    private readonly projections: ProjectionRegistry,
  ) {}

  @Get('dashboard/config')
  @ApiRead({ operationId: 'getDashboardConfig', summary: 'List the hosted contexts for the dashboard', public: true })
  @ApiOkResponse({ type: DashboardConfigResponse })
  dashboardConfig(): DashboardConfigResponse {
    return { contexts: this.contexts.map((c) => c.name), graphqlPath: GRAPHQL_PATH, devTokens: this.devTokens() };
  }

  @Get('dashboard/pipeline')
  @ApiRead({ operationId: 'getPipelineSummary', summary: 'Summarize lag, throughput and dead letters per projection', public: true })
  @ApiOkResponse({ type: PipelineSummaryResponse })
  async pipeline(): Promise<PipelineSummaryResponse> {
    const statuses = await projectionStatus(this.db, this.log, this.projections.definitions);
    const kinds = new Map(this.projections.definitions.map((d) => [d.name, d.kind ?? 'projection']));
    return {
      at: new Date().toISOString(),
      projections: statuses.map((s) => ({
        name: s.name,
        kind: kinds.get(s.name) ?? 'projection',
        lag: s.totalLag,
        processed: s.partitions.reduce((sum, p) => sum + (p.nextOffset ?? 0), 0),
        deadLetters: s.pendingDeadLetters,
      })),
    };
  }

  /**
   * A token for any user id, so a newcomer can try the page with one command. Only where nothing
   * is configured (embedded log and database) and tokens are signed with the published development
   * secret, which anyone can sign with anyway: no new way in. Never with NODE_ENV=production;
   * everywhere else the route does not exist (404). Left out of the OpenAPI
   * document: it is no part of the API a deployment serves.
   */
  @Post('dashboard/dev-token')
  @Public()
  @HttpCode(200)
  @ApiExcludeEndpoint()
  devToken(@Body() body: { userId?: unknown }): { token: string } {
    if (!this.devTokens()) throw new NotFoundException('development tokens exist only on the embedded default');
    const userId = typeof body?.userId === 'string' ? body.userId : '';
    if (!USER_ID.test(userId)) throw invalidField('userId', 'userId must be 1-64 letters, digits or ._@-');
    return { token: signToken(this.config.jwtSecret, userId) };
  }

  private devTokens(): boolean {
    const embedded = this.config.kafkaBrokers === null && this.config.databaseUrl === null;
    return embedded && this.config.jwtSecret === DEV_JWT_SECRET && process.env.NODE_ENV !== 'production';
  }
}
