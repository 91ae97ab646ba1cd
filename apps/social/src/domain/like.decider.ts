import { assertNever, Decider } from '@streamfold/core';
import { assertPostOpen, PostState } from './post.decider';
import { LikeEvent, SocialEventType } from './social.events';

/**
 * Stream `like-<postId>-<userId>`: one stream per (post, user) so a viral post's likes never
 * contend on one stream, and "a like counts once" is a property of this tiny state machine.
 */
export type LikeState = { status: 'not_liked' } | { status: 'liked' };

export type LikeCommand =
  | { type: 'LikePost'; postId: string; userId: string; post: PostState }
  | { type: 'UnlikePost'; postId: string; userId: string; post: PostState };

export const likeDecider: Decider<LikeCommand, LikeEvent, LikeState> = {
  initialState: () => ({ status: 'not_liked' }),

  decide(command, state) {
    assertPostOpen(command.postId, command.post);
    switch (command.type) {
      case 'LikePost':
        // Liking again is a no-op, not a second count.
        return state.status === 'liked' ? [] : [{ type: SocialEventType.PostLiked, data: { postId: command.postId, userId: command.userId } }];
      case 'UnlikePost':
        // Only what you liked can be unliked; unliking twice is a no-op.
        return state.status === 'liked' ? [{ type: SocialEventType.PostUnliked, data: { postId: command.postId, userId: command.userId } }] : [];
      default:
        return assertNever(command, 'like command');
    }
  },

  evolve(_state, event) {
    switch (event.type) {
      case SocialEventType.PostLiked:
        return { status: 'liked' };
      case SocialEventType.PostUnliked:
        return { status: 'not_liked' };
      default:
        return assertNever(event, 'like event');
    }
  },
};

export const likeStreamId = (postId: string, userId: string) => `like-${postId}-${userId}`;
