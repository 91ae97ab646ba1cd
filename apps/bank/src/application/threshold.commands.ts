import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, EventStore, executeCommand } from '@streamfold/eventstore';
import { ThresholdCommand, thresholdsDecider, userSettingsStreamId } from '../domain/thresholds.decider';

/** A threshold command of one user, sent by the controller as it came (validation is the decider's). */
export class ChangeThreshold {
  constructor(readonly command: ThresholdCommand) {}
}

/**
 * Load the user's settings stream, decide, append: a concurrent change by the same user conflicts
 * on that stream and is decided again on the fresh state (so "one active per currency" holds).
 */
@CommandHandler(ChangeThreshold)
export class ChangeThresholdHandler implements ICommandHandler<ChangeThreshold, void> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ command }: ChangeThreshold): Promise<void> {
    await executeCommand({
      store: this.store,
      decider: thresholdsDecider,
      streamId: userSettingsStreamId(command.userId),
      command,
      context: { actor: command.userId },
      maxRetries: 3,
    });
  }
}
