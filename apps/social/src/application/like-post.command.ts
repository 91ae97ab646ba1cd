import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, EventStore, executeCommand } from '@streamfold/eventstore';
import { LikeCommand, likeDecider, likeStreamId } from '../domain/like.decider';
import { loadPost } from './load-post';

export class LikePost {
  readonly type = 'LikePost';
  constructor(readonly userId: string, readonly postId: string) {}
}

export class UnlikePost {
  readonly type = 'UnlikePost';
  constructor(readonly userId: string, readonly postId: string) {}
}

/**
 * Both idempotent: the like stream of (post, user) says whether the like already counts. A
 * concurrent like by the same user conflicts on that tiny stream and is decided again.
 */
@CommandHandler(LikePost)
export class LikePostHandler implements ICommandHandler<LikePost, void> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  execute(command: LikePost): Promise<void> {
    return decideLike(this.store, command);
  }
}

@CommandHandler(UnlikePost)
export class UnlikePostHandler implements ICommandHandler<UnlikePost, void> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  execute(command: UnlikePost): Promise<void> {
    return decideLike(this.store, command);
  }
}

async function decideLike(store: EventStore, { type, userId, postId }: LikePost | UnlikePost): Promise<void> {
  const streamId = likeStreamId(postId, userId);
  // Both streams are read at once (the store serves concurrent reads in one round trip).
  const [post, loaded] = await Promise.all([loadPost(store, postId), store.readStream(streamId)]);
  const command: LikeCommand = { type, postId, userId, post };
  await executeCommand({ store, decider: likeDecider, streamId, command, context: { actor: userId }, maxRetries: 3, loaded });
}
