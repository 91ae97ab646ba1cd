import { EventStore, loadState } from '@streamfold/eventstore';
import { postStreamId } from '../domain/comment.decider';
import { postDecider, PostState } from '../domain/post.decider';

/**
 * The post's state as likes and comments see it. Read, not locked: a like racing a delete may
 * land just after it; read models exclude deleted posts, so the race is invisible to readers.
 */
export async function loadPost(store: EventStore, postId: string): Promise<PostState> {
  return (await loadState(store, postDecider, postStreamId(postId))).state;
}
