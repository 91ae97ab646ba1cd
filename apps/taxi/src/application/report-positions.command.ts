import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { TelemetryPublisher } from '@streamfold/nestjs';
import { ValidationFailed } from '@streamfold/core';
import { TaxiEventType as T } from '../domain/taxi.events';
import { TaxiTopic } from '../taxi.topics';

export interface ReportedFix {
  lat: number;
  lng: number;
  /** Device time of the fix (ISO 8601): the event time fares and surge use. */
  at: string;
  /** Drivers only: accepting rides now. @default true */
  available?: boolean;
}

/** How far ahead of the server's clock a device's clock may be. */
export const MAX_CLOCK_SKEW_MS = 60_000;

export class ReportPositions {
  constructor(readonly role: 'driver' | 'rider', readonly userId: string, readonly fixes: ReportedFix[]) {}
}

/** How much of a batch was taken: the rest must be sent again later. */
export interface PositionsAccepted {
  accepted: number;
  total: number;
}

/**
 * A batch of positions goes straight to taxi_position (key taxi id) or user_position (key user
 * id) through the process's TelemetryPublisher: positions are telemetry, not aggregates, so they
 * skip the event store. tryPublish never waits: when the producer's buffer is full the batch is
 * cut there, in order, and the caller is told how many were taken (the controller answers 429
 * with Retry-After), so a flood slows the phones instead of the heap growing.
 */
@CommandHandler(ReportPositions)
export class ReportPositionsHandler implements ICommandHandler<ReportPositions, PositionsAccepted> {
  constructor(private readonly telemetry: TelemetryPublisher) {}

  async execute({ role, userId, fixes }: ReportPositions, nowMs = Date.now()): Promise<PositionsAccepted> {
    // A fix from the future would pin the driver as fresh and push the surge watermark ahead of
    // every other input: refuse the batch (nothing is published) beyond a clock-skew allowance.
    const future = fixes.findIndex((f) => Date.parse(f.at) > nowMs + MAX_CLOCK_SKEW_MS);
    if (future >= 0) throw new ValidationFailed(`positions[${future}].at`, `must not be more than ${MAX_CLOCK_SKEW_MS / 1000} s in the future`);
    let accepted = 0;
    for (const f of fixes) {
      const ok =
        role === 'driver'
          ? this.telemetry.tryPublish(TaxiTopic.taxiPosition, userId, T.TaxiPositionReported, { taxiId: userId, lat: f.lat, lng: f.lng, available: f.available ?? true }, f.at)
          : this.telemetry.tryPublish(TaxiTopic.userPosition, userId, T.RiderPositionReported, { userId, lat: f.lat, lng: f.lng }, f.at);
      if (!ok) break;
      accepted++;
    }
    return { accepted, total: fixes.length };
  }
}
