import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

// Response shapes of the lake and ingestion endpoints for the OpenAPI document and the generated
// client; they mirror LakeQueryRegistry#list, LakeQueryResult and IngestOutcome of @streamfold/sink.

/** A named lake query as admins see it: its parameters and their types, never its SQL. */
export class LakeQueryInfoResponse {
  @ApiProperty({ example: 'likes_per_post' }) name: string;
  @ApiPropertyOptional() description?: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string', enum: ['string', 'integer', 'number', 'boolean', 'timestamp'] },
    description: 'parameter name → type; send each in the JSON body',
  })
  params: Record<string, string>;
}

/** The rows of one named query, cut at 10000 (`truncated` then says so). */
export class LakeQueryResultResponse {
  @ApiProperty({ type: [String] }) columns: string[];
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'one object per row; BIGINTs and timestamps as strings' })
  rows: Array<Record<string, unknown>>;
  @ApiProperty() truncated: boolean;
  @ApiProperty() elapsedMs: number;
}

/** A batch of records for one ingestion stream. */
export class IngestBody {
  @ApiProperty({ type: 'array', minItems: 1, maxItems: 1000, items: { type: 'object', additionalProperties: true }, description: 'JSON records of the stream; `occurredAt` (ISO 8601) is the event time when present' })
  records: Array<Record<string, unknown>>;
}

/** Every record of the batch was acknowledged by the log. */
export class IngestAcceptedResponse {
  @ApiProperty({ example: 100 }) accepted: number;
}
