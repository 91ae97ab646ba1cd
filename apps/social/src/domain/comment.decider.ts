import { assertNever, Decider } from '@streamfold/core';
import { assertPostOpen, PostState } from './post.decider';
import { CommentEvent, SocialEventType } from './social.events';
import { COMMENT_TEXT_MAX, CommentNotFound, NotTheAuthor, validText } from './social.errors';

/** Stream `comment-<commentId>`. */
export type CommentState =
  | { status: 'empty' }
  | { status: 'posted'; postId: string; authorId: string }
  | { status: 'deleted'; postId: string; authorId: string };

export type CommentCommand =
  | { type: 'AddComment'; postId: string; commentId: string; authorId: string; text: string; post: PostState }
  | { type: 'DeleteComment'; postId: string; commentId: string; userId: string };

export const commentDecider: Decider<CommentCommand, CommentEvent, CommentState> = {
  initialState: () => ({ status: 'empty' }),

  decide(command, state) {
    switch (command.type) {
      case 'AddComment': {
        if (state.status !== 'empty') return []; // same comment id again
        assertPostOpen(command.postId, command.post);
        const text = validText('text', command.text, COMMENT_TEXT_MAX);
        return [
          {
            type: SocialEventType.CommentAdded,
            data: { postId: command.postId, commentId: command.commentId, authorId: command.authorId, text },
          },
        ];
      }
      case 'DeleteComment': {
        if (state.status === 'empty' || state.postId !== command.postId) throw CommentNotFound.because(command.commentId);
        if (state.authorId !== command.userId) throw NotTheAuthor.ofComment(command.commentId);
        if (state.status === 'deleted') return [];
        return [
          {
            type: SocialEventType.CommentDeleted,
            data: { postId: command.postId, commentId: command.commentId, authorId: command.userId },
          },
        ];
      }
      default:
        return assertNever(command, 'comment command');
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case SocialEventType.CommentAdded:
        return { status: 'posted', postId: event.data.postId, authorId: event.data.authorId };
      case SocialEventType.CommentDeleted:
        return state.status === 'empty' ? state : { ...state, status: 'deleted' };
      default:
        return assertNever(event, 'comment event');
    }
  },
};

export const postStreamId = (postId: string) => `post-${postId}`;
export const commentStreamId = (commentId: string) => `comment-${commentId}`;
