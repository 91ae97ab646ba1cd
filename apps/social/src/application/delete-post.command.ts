import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, EventStore, executeCommand } from '@streamfold/eventstore';
import { postStreamId } from '../domain/comment.decider';
import { postDecider } from '../domain/post.decider';

export class DeletePost {
  constructor(readonly userId: string, readonly postId: string) {}
}

@CommandHandler(DeletePost)
export class DeletePostHandler implements ICommandHandler<DeletePost, void> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ userId, postId }: DeletePost): Promise<void> {
    await executeCommand({
      store: this.store,
      decider: postDecider,
      streamId: postStreamId(postId),
      command: { type: 'DeletePost', postId, userId },
      context: { actor: userId },
      maxRetries: 3,
    });
  }
}
