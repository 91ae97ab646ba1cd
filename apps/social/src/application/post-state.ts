import { fold } from '@streamfold/core';
import { EventStore } from '@streamfold/eventstore';
import { postStreamId } from '../domain/comment.decider';
import { postDecider, PostState } from '../domain/post.decider';
import { PostEvent } from '../domain/social.events';

/**
 * The post's state as likes and comments see it. Read, not locked: a like racing a delete may
 * land just after it; read models exclude deleted posts, so the race is invisible to readers.
 */
export async function loadPost(store: EventStore, postId: string): Promise<PostState> {
  const { events } = await store.readStream(postStreamId(postId));
  return fold(postDecider, events as unknown as PostEvent[]);
}
