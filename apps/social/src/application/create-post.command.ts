import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, EventStore, executeCommand } from '@streamfold/eventstore';
import { randomUUID } from 'node:crypto';
import { postDecider } from '../domain/post.decider';
import { postStreamId } from '../domain/comment.decider';

export class CreatePost {
  constructor(readonly authorId: string, readonly text: string, readonly idempotencyKey?: string) {}
}

@CommandHandler(CreatePost)
export class CreatePostHandler implements ICommandHandler<CreatePost, { postId: string }> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ authorId, text, idempotencyKey }: CreatePost): Promise<{ postId: string }> {
    const postId = randomUUID();
    const outcome = await executeCommand({
      store: this.store,
      decider: postDecider,
      streamId: postStreamId(postId),
      command: { type: 'CreatePost', postId, authorId, text },
      context: { actor: authorId },
      commandId: idempotencyKey ? `social.CreatePost:${authorId}:${idempotencyKey}` : undefined,
      // What the client sent, not the minted post id: a retry must match it, another body is a 422.
      input: { text },
      resultOf: () => ({ postId }),
    });
    return outcome.result as { postId: string };
  }
}
