import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, EventStore, executeCommand } from '@streamfold/eventstore';
import { randomUUID } from 'node:crypto';
import { commentDecider, commentStreamId } from '../domain/comment.decider';
import { loadPost } from './load-post';

export class AddComment {
  constructor(readonly authorId: string, readonly postId: string, readonly text: string, readonly idempotencyKey?: string) {}
}

@CommandHandler(AddComment)
export class AddCommentHandler implements ICommandHandler<AddComment, { commentId: string }> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ authorId, postId, text, idempotencyKey }: AddComment): Promise<{ commentId: string }> {
    const post = await loadPost(this.store, postId);
    const commentId = randomUUID();
    const outcome = await executeCommand({
      store: this.store,
      decider: commentDecider,
      streamId: commentStreamId(commentId),
      command: { type: 'AddComment', postId, commentId, authorId, text, post },
      context: { actor: authorId },
      commandId: idempotencyKey ? `social.AddComment:${authorId}:${idempotencyKey}` : undefined,
      input: { postId, text },
      resultOf: () => ({ commentId }),
    });
    return outcome.result as { commentId: string };
  }
}
