import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { ApiCommand, HttpReply, setReplyHeader } from '@streamfold/nestjs';
import { CurrentUser, Principal } from '@streamfold/auth';
import { IngestLogs, IngestResult } from '../application/ingest-logs.command';

/** Lines from services that are not Streamfold processes, with the same path to app_logs as ours. */
@ApiTags('ops')
@Controller('ingest')
export class IngestController {
  constructor(private readonly commands: CommandBus) {}

  @ApiCommand({ operationId: 'ingestLogLines', summary: 'Ship log lines of another service to app_logs', description: 'JSON lines (application/x-ndjson, up to 1 MB and 5000 lines); 202, or 429 with Retry-After when the buffer is full', errors: [413] })
  @ApiAcceptedResponse({ description: 'how many lines were accepted' })
  @ApiConsumes('application/x-ndjson', 'text/plain')
  @Post('logs')
  @HttpCode(202)
  async logs(@Body() body: unknown, @CurrentUser() user: Principal, @Res({ passthrough: true }) res: HttpReply) {
    // A JSON array (application/json, within the global 64 kB) is taken as the same lines.
    const text = typeof body === 'string' ? body : Array.isArray(body) ? body.map((l) => JSON.stringify(l)).join('\n') : '';
    const result: IngestResult = await this.commands.execute(new IngestLogs(text, user.userId));
    if (result.kind === 'busy') {
      res.status(429);
      setReplyHeader(res, 'Retry-After', String(result.retryAfterSeconds));
      return { error: 'busy', message: 'the log buffer is full: retry after the pause', retryAfterSeconds: result.retryAfterSeconds };
    }
    return { accepted: result.accepted };
  }
}
