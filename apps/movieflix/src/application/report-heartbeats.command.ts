import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { TelemetryPublisher } from '@streamfold/nestjs';
import { Catalog } from '../catalog/catalog';
import { MovieflixEventType as T, PositionReported } from '../domain/movieflix.events';
import { validateHeartbeats } from '../domain/resume';
import { MovieflixTopic } from '../movieflix.topics';

/** A player's batch of heartbeats, as received (validated by the handler). */
export class ReportHeartbeats {
  constructor(readonly userId: string, readonly heartbeats: unknown) {}
}

/**
 * Heartbeats are telemetry, not aggregates: validated as a whole batch (nothing is published if
 * one is bad), then produced straight to `show_position` keyed by user, in the order sent.
 */
@CommandHandler(ReportHeartbeats)
export class ReportHeartbeatsHandler implements ICommandHandler<ReportHeartbeats, { accepted: number }> {
  constructor(private readonly telemetry: TelemetryPublisher, private readonly catalog: Catalog) {}

  async execute({ userId, heartbeats }: ReportHeartbeats): Promise<{ accepted: number }> {
    const valid = validateHeartbeats(heartbeats, (id) => this.catalog.has(id), Date.now());
    for (const h of valid) {
      const data: PositionReported['data'] = { userId, videoId: h.videoId, positionSec: h.positionSec, durationSec: h.durationSec, device: h.device };
      // publish() waits only when the producer's buffer is full: back-pressure, not a round trip.
      await this.telemetry.publish(MovieflixTopic.showPosition, userId, T.PositionReported, data, h.occurredAt);
    }
    // Answer once they are in Kafka: a 202 then means the resume point will move.
    await this.telemetry.flush();
    return { accepted: valid.length };
  }
}
