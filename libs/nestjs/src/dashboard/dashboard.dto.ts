import { ApiProperty } from '@nestjs/swagger';

/** What the dashboard page needs to know about this host before it draws anything. */
export class DashboardConfigResponse {
  @ApiProperty({ type: [String], example: ['shop', 'billing'], description: 'hosted bounded contexts; a view whose context is missing shows "context not installed"' })
  contexts: string[];

  @ApiProperty({ example: '/graphql', description: 'GraphQL over HTTP and graphql-ws' })
  graphqlPath: string;

  @ApiProperty({ description: 'whether POST /dashboard/dev-token signs development tokens (embedded default only, never in production)' })
  devTokens: boolean;
}

/** One projection or processor in the public pipeline summary. */
export class PipelineProjectionResponse {
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['projection', 'processor'] }) kind: string;
  @ApiProperty({ description: 'messages still to process over all partitions' }) lag: number;
  @ApiProperty({ description: 'messages applied so far (sum of checkpoint offsets); its rate is the events per second' }) processed: number;
  @ApiProperty({ description: 'dead letters waiting for a replay or a discard' }) deadLetters: number;
}

/** Pipeline health without an admin token: numbers only, no event content. */
export class PipelineSummaryResponse {
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ type: [PipelineProjectionResponse] }) projections: PipelineProjectionResponse[];
}
