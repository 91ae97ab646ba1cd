import { ApiProperty } from '@nestjs/swagger';

/** State of one dependency as Terminus reports it. */
export class HealthIndicatorResponse {
  @ApiProperty({ enum: ['up', 'down'] }) status: string;
  @ApiProperty({ required: false, description: 'what was probed, e.g. "PostgreSQL 127.0.0.1:5432"' }) target?: string;
  @ApiProperty({ required: false, description: 'why it is down' }) message?: string;
}

/**
 * Terminus's health body, on 200 and on 503 alike: probes read `status`, people read `details`.
 * Not the `ApiError` shape on purpose: a load balancer's 503 needs the per-dependency report.
 */
export class HealthResponse {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] }) status: string;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/HealthIndicatorResponse' }, description: 'dependencies that are up' })
  info: Record<string, HealthIndicatorResponse>;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/HealthIndicatorResponse' }, description: 'dependencies that are down' })
  error: Record<string, HealthIndicatorResponse>;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/HealthIndicatorResponse' }, description: 'every dependency' })
  details: Record<string, HealthIndicatorResponse>;
}
