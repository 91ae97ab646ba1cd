import { Body, Controller, Get, HttpCode, HttpException, NotFoundException, Param, Post, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '@streamfold/auth';
import { InvalidLakeQueryParams, LakeQueryTimeout, UnknownLakeQuery } from '@streamfold/sink';
import { ApiError, invalidField } from '../http/api-error';
import { ApiCommand, ApiRead } from '../http/openapi.decorators';
import { LakeQueryInfoResponse, LakeQueryResultResponse } from './lake.dto';
import { LakeSetup } from './lake-setup';
import { HttpReply, setReplyHeader } from '../http/http-reply';

const ADMIN_ONLY = { status: 403, description: 'The token lacks the `admin` role.' } as const;
const TIMED_OUT = { status: 503, description: 'The query ran past its time limit and was interrupted; retry after the Retry-After delay or narrow it.' } as const;


/**
 * Named, parameterised SQL over the lake for admins (invariant 9). No free SQL over HTTP: the
 * contexts register the queries (`defineContext({ lakeQueries })`), callers choose values only.
 */
@ApiTags('admin')
@Roles('admin')
@Controller('admin/lake')
export class LakeAdminController {
  constructor(private readonly lake: LakeSetup) {}

  @Get('queries')
  @ApiRead({ operationId: 'listLakeQueries', summary: 'List the named lake queries and their parameters', errors: [ADMIN_ONLY] })
  @ApiOkResponse({ type: [LakeQueryInfoResponse] })
  list() {
    return this.lake.queries.list();
  }

  @Post('queries/:name')
  @HttpCode(200)
  @ApiCommand({
    operationId: 'runLakeQuery',
    summary: 'Run a named lake query with JSON parameters',
    description: 'Read-only and time-limited; the lake lags the topics by the sink\'s flush interval.',
    errors: [ADMIN_ONLY, { status: 404, description: 'No lake query of that name.' }, TIMED_OUT],
  })
  @ApiBody({ required: false, schema: { type: 'object', additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] } } })
  @ApiOkResponse({ type: LakeQueryResultResponse })
  async run(@Param('name') name: string, @Body() params: unknown, @Res({ passthrough: true }) res: HttpReply) {
    const values = params && typeof params === 'object' && !Array.isArray(params) ? (params as Record<string, unknown>) : {};
    try {
      return await this.lake.queries.run(name, values);
    } catch (error) {
      if (error instanceof UnknownLakeQuery) throw new NotFoundException({ statusCode: 404, error: 'unknown_lake_query', message: error.message } satisfies ApiError);
      if (error instanceof InvalidLakeQueryParams) throw invalidField('body', error.message);
      if (error instanceof LakeQueryTimeout) {
        setReplyHeader(res, 'Retry-After', '5');
        throw new HttpException({ statusCode: 503, error: 'lake_query_timeout', message: error.message } satisfies ApiError, 503);
      }
      throw error;
    }
  }
}
