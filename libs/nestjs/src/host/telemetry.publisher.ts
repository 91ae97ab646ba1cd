import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { TelemetryProducer } from '@streamfold/eventstore';
import { MESSAGE_LOG, MessageLog } from '@streamfold/messaging';

/**
 * The process's TelemetryProducer as a Nest provider: high-volume facts that are not aggregates
 * (positions, heartbeats, log lines) go straight to their topic in batches, with back-pressure.
 * Inject `TelemetryPublisher`; it flushes what is buffered before the process stops.
 */
@Injectable()
export class TelemetryPublisher extends TelemetryProducer implements BeforeApplicationShutdown {
  constructor(@Inject(MESSAGE_LOG) log: MessageLog) {
    super(log);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
