import { ApiProperty } from '@nestjs/swagger';

// Response shapes of the admin API for the OpenAPI document and the generated client. They mirror
// ProjectionStatus, RebuildProgress and DeadLetter of @streamfold/projections as sent over JSON
// (dates become ISO strings).

/** One version of a projection's tables. */
export class ProjectionVersionResponse {
  @ApiProperty() version: number;
  @ApiProperty({ enum: ['building', 'live', 'retired', 'failed'] }) status: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) activatedAt: string | null;
}

/** Lag of the active version on one partition. */
export class PartitionLagResponse {
  @ApiProperty() topic: string;
  @ApiProperty() partition: number;
  @ApiProperty({ nullable: true, type: Number, description: 'checkpoint offset; null before the first commit' }) nextOffset: number | null;
  @ApiProperty() low: number;
  @ApiProperty() high: number;
  @ApiProperty({ description: 'messages still to process' }) lag: number;
}

/** A projection as operators see it, with the progress of a rebuild started here. */
export class ProjectionStatusResponse {
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: Number }) activeVersion: number | null;
  @ApiProperty({ type: [ProjectionVersionResponse] }) versions: ProjectionVersionResponse[];
  @ApiProperty({ type: [PartitionLagResponse] }) partitions: PartitionLagResponse[];
  @ApiProperty() totalLag: number;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastEventAt: string | null;
  @ApiProperty() pendingDeadLetters: number;
  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description: 'progress of a rebuild started by this process (`phase`, `processed`, `total`, …) or `{ failed }`; null when none',
  })
  rebuild: Record<string, unknown> | null;
}

/** A rebuild accepted and running in the background. */
export class RebuildStartedResponse {
  @ApiProperty() projection: string;
  @ApiProperty({ enum: ['kafka', 'event-store'] }) from: string;
  @ApiProperty() started: boolean;
}

/** A message a projection could not apply, set aside so its partition moves on. */
export class DeadLetterResponse {
  @ApiProperty() id: string;
  @ApiProperty({ description: '`<projection>@v<version>` that failed on it' }) consumer: string;
  @ApiProperty() topic: string;
  @ApiProperty() partition: number;
  @ApiProperty() offset: number;
  @ApiProperty({ nullable: true, type: String }) key: string | null;
  @ApiProperty({ nullable: true, type: String }) type: string | null;
  @ApiProperty() error: string;
  @ApiProperty() attempts: number;
  @ApiProperty({ enum: ['pending', 'replayed', 'discarded'] }) status: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) resolvedAt: string | null;
}
