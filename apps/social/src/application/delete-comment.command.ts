import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, EventStore, executeCommand } from '@streamfold/eventstore';
import { commentDecider, commentStreamId } from '../domain/comment.decider';

export class DeleteComment {
  constructor(readonly userId: string, readonly postId: string, readonly commentId: string) {}
}

@CommandHandler(DeleteComment)
export class DeleteCommentHandler implements ICommandHandler<DeleteComment, void> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ userId, postId, commentId }: DeleteComment): Promise<void> {
    await executeCommand({
      store: this.store,
      decider: commentDecider,
      streamId: commentStreamId(commentId),
      command: { type: 'DeleteComment', postId, commentId, userId },
      context: { actor: userId },
      maxRetries: 3,
    });
  }
}
