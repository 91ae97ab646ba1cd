import { Body, Controller, Headers, HttpCode, HttpException, Inject, Param, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiExtraModels, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { Ingestor } from '@streamfold/sink';
import type { ContextDefinition } from '../context/context';
import { allIngestStreams } from '../context/context';
import { STREAMFOLD_CONTEXTS } from '../context/streamfold.module';
import { TelemetryPublisher } from '../host/telemetry.publisher';
import { ApiError, errorCodeOf, invalidField } from '../http/api-error';
import { ApiErrors } from '../http/openapi.decorators';
import { IngestAcceptedResponse, IngestBody } from './lake.dto';
import { HttpReply, setReplyHeader } from '../http/http-reply';

/** Largest ingestion body; the host's body parser for /ingest uses the same limit. @default 1 MiB */
export const INGEST_MAX_BYTES = 1024 * 1024;


/**
 * `POST /ingest/:stream`: batches of JSON records from devices and services, validated against
 * the stream's schema and produced through the TelemetryPublisher (no event store: these are
 * facts, not aggregate changes). 202 only after the log acknowledged every record; 429 or 503
 * with Retry-After under back-pressure, so clients slow down instead of the process buffering.
 */
@ApiTags('ingest')
@Controller('ingest')
export class IngestController {
  private readonly ingestor: Ingestor;

  constructor(publisher: TelemetryPublisher, @Inject(STREAMFOLD_CONTEXTS) contexts: ContextDefinition[]) {
    this.ingestor = new Ingestor({ producer: publisher, streams: allIngestStreams(contexts), maxBytes: INGEST_MAX_BYTES });
  }

  @Post(':stream')
  @HttpCode(202)
  @ApiOperation({ operationId: 'ingestRecords', summary: 'Ingest a batch of records into a stream', description: 'Answered only after the log acknowledged every record (acks=all). After a 503 the records may still land: a retry can duplicate them unless they carry their own ids.' })
  @ApiExtraModels(IngestBody)
  @ApiBody({ schema: { oneOf: [{ $ref: getSchemaPath(IngestBody) }, { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'object', additionalProperties: true } }] } })
  @ApiErrors(
    { status: 400, description: 'A record does not match the stream\'s schema; `field` names the first (`records[i]`). Nothing was produced.' },
    401,
    { status: 404, description: 'No ingestion stream of that name.' },
    { status: 413, description: 'More than 1000 records or 1 MiB in one request.' },
    { status: 429, description: 'The producer is saturated; nothing was produced. Retry after the Retry-After delay.' },
    { status: 503, description: 'The log did not acknowledge in time; the records may still land. Retry after the Retry-After delay.' },
  )
  @ApiAcceptedResponse({ type: IngestAcceptedResponse, description: 'every record acknowledged by the log' })
  async ingest(@Param('stream') stream: string, @Body() body: unknown, @Headers('content-length') length: string | undefined, @Res({ passthrough: true }) res: HttpReply) {
    const outcome = await this.ingestor.ingest(stream, body, length === undefined ? undefined : Number(length));
    switch (outcome.status) {
      case 202:
        return { accepted: outcome.accepted };
      case 400: {
        const first = outcome.errors[0];
        const field = first.index >= 0 ? `records[${first.index}]` : 'body';
        throw invalidField(field, outcome.errors.map((e) => (e.index >= 0 ? `records[${e.index}]: ` : '') + e.problems.join(', ')).join('; '));
      }
      case 404:
      case 413:
        throw new HttpException({ statusCode: outcome.status, error: errorCodeOf(outcome.status), message: outcome.error } satisfies ApiError, outcome.status);
      case 429:
      case 503:
        setReplyHeader(res, 'Retry-After', String(outcome.retryAfterSeconds));
        throw new HttpException({ statusCode: outcome.status, error: outcome.status === 429 ? 'ingest_saturated' : 'ingest_unacknowledged', message: outcome.error } satisfies ApiError, outcome.status);
      default: {
        const never: never = outcome;
        throw new Error(`unexpected ingest outcome ${JSON.stringify(never)}`);
      }
    }
  }
}
