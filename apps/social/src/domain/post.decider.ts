import { assertNever, Decider } from '@streamfold/core';
import { PostCreated, PostDeleted, PostEvent, SocialEventType } from './social.events';
import { NotTheAuthor, POST_TEXT_MAX, PostDeletedAlready, PostNotFound, validText } from './social.errors';

export type PostState =
  | { status: 'empty' }
  | { status: 'published'; postId: string; authorId: string }
  | { status: 'deleted'; postId: string; authorId: string };

export type PostCommand =
  | { type: 'CreatePost'; postId: string; authorId: string; text: string }
  | { type: 'DeletePost'; postId: string; userId: string };

/** Stream `post-<postId>`: a post is created once and deleted once, by its author only. */
export const postDecider: Decider<PostCommand, PostEvent, PostState> = {
  initialState: () => ({ status: 'empty' }),

  decide(command, state) {
    switch (command.type) {
      case 'CreatePost': {
        if (state.status !== 'empty') return []; // same post id again: already created
        const text = validText('text', command.text, POST_TEXT_MAX);
        const created: PostCreated = {
          type: SocialEventType.PostCreated,
          data: { postId: command.postId, authorId: command.authorId, text },
        };
        return [created];
      }
      case 'DeletePost': {
        if (state.status === 'empty') throw PostNotFound.because(command.postId);
        if (state.authorId !== command.userId) throw NotTheAuthor.ofPost(command.postId);
        if (state.status === 'deleted') return []; // deleting twice changes nothing
        const deleted: PostDeleted = { type: SocialEventType.PostDeleted, data: { postId: command.postId, authorId: command.userId } };
        return [deleted];
      }
      default:
        return assertNever(command, 'post command');
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case SocialEventType.PostCreated:
        return { status: 'published', postId: event.data.postId, authorId: event.data.authorId };
      case SocialEventType.PostDeleted:
        return state.status === 'empty' ? state : { ...state, status: 'deleted' };
      default:
        return assertNever(event, 'post event');
    }
  },
};

/** Throws unless the post can take likes and comments. */
export function assertPostOpen(postId: string, state: PostState): void {
  if (state.status === 'empty') throw PostNotFound.because(postId);
  if (state.status === 'deleted') throw PostDeletedAlready.because(postId);
}
