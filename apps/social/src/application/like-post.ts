import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, EventStore, executeCommand } from '@streamfold/eventstore';
import { likeDecider, likeStreamId } from '../domain/like.decider';
import { loadPost } from './post-state';

export class LikePost {
  constructor(readonly userId: string, readonly postId: string) {}
}

export class UnlikePost {
  constructor(readonly userId: string, readonly postId: string) {}
}

/** Both idempotent: the like stream of (post, user) says whether the like already counts. */
@CommandHandler(LikePost)
export class LikePostHandler implements ICommandHandler<LikePost, void> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ userId, postId }: LikePost): Promise<void> {
    const post = await loadPost(this.store, postId);
    await executeCommand({
      store: this.store,
      decider: likeDecider,
      streamId: likeStreamId(postId, userId),
      command: { type: 'LikePost', postId, userId, post },
      context: { actor: userId },
      maxRetries: 3,
    });
  }
}

@CommandHandler(UnlikePost)
export class UnlikePostHandler implements ICommandHandler<UnlikePost, void> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ userId, postId }: UnlikePost): Promise<void> {
    const post = await loadPost(this.store, postId);
    await executeCommand({
      store: this.store,
      decider: likeDecider,
      streamId: likeStreamId(postId, userId),
      command: { type: 'UnlikePost', postId, userId, post },
      context: { actor: userId },
      maxRetries: 3,
    });
  }
}
