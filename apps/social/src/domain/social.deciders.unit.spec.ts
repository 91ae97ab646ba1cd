import { DecisionContext, fold, Forbidden, NotFound, RuleViolated, ValidationFailed } from '@streamfold/core';
import { commentDecider, CommentCommand } from './comment.decider';
import { likeDecider, LikeCommand } from './like.decider';
import { PostCommand, postDecider, PostState } from './post.decider';
import { PostEvent, SocialEventType as T } from './social.events';

const ctx: DecisionContext = { now: new Date('2026-11-25T12:00:00Z'), actor: 'alice', newId: () => 'id-1' };
const created: PostEvent = { type: T.PostCreated, data: { postId: 'p1', authorId: 'alice', text: 'hello' } };
const deleted: PostEvent = { type: T.PostDeleted, data: { postId: 'p1', authorId: 'alice' } };
const published: PostState = fold(postDecider, [created]);
const gone: PostState = fold(postDecider, [created, deleted]);

const decidePost = (given: PostEvent[], command: PostCommand) => postDecider.decide(command, fold(postDecider, given), ctx);

describe('post decider', () => {
  it('creates a post with trimmed text', () => {
    expect(decidePost([], { type: 'CreatePost', postId: 'p1', authorId: 'alice', text: '  hello ' })).toEqual([created]);
  });
  it('treats the same post id again as already done', () => {
    expect(decidePost([created], { type: 'CreatePost', postId: 'p1', authorId: 'alice', text: 'x' })).toEqual([]);
  });
  it.each([
    ['', /text: must not be empty/],
    ['   ', /text: must not be empty/],
    ['x'.repeat(2001), /text: must be at most 2000 characters, got 2001/],
  ])('refuses text %#', (text, message) => {
    expect(() => decidePost([], { type: 'CreatePost', postId: 'p1', authorId: 'alice', text })).toThrow(ValidationFailed);
    expect(() => decidePost([], { type: 'CreatePost', postId: 'p1', authorId: 'alice', text })).toThrow(message);
  });
  it('counts text length in code points (an emoji is one character)', () => {
    expect(decidePost([], { type: 'CreatePost', postId: 'p1', authorId: 'a', text: '😀'.repeat(2000) })).toHaveLength(1);
  });
  it('lets only the author delete, once', () => {
    expect(() => decidePost([created], { type: 'DeletePost', postId: 'p1', userId: 'bob' })).toThrow(Forbidden);
    expect(decidePost([created], { type: 'DeletePost', postId: 'p1', userId: 'alice' })).toEqual([deleted]);
    expect(decidePost([created, deleted], { type: 'DeletePost', postId: 'p1', userId: 'alice' })).toEqual([]);
    expect(() => decidePost([], { type: 'DeletePost', postId: 'p1', userId: 'alice' })).toThrow(NotFound);
  });
});

describe('like decider', () => {
  const like = (post: PostState): LikeCommand => ({ type: 'LikePost', postId: 'p1', userId: 'bob', post });
  const unlike = (post: PostState): LikeCommand => ({ type: 'UnlikePost', postId: 'p1', userId: 'bob', post });
  const liked = { type: T.PostLiked, data: { postId: 'p1', userId: 'bob' } } as const;
  const unliked = { type: T.PostUnliked, data: { postId: 'p1', userId: 'bob' } } as const;

  it('counts a like once however often it is sent', () => {
    expect(likeDecider.decide(like(published), fold(likeDecider, []), ctx)).toEqual([liked]);
    expect(likeDecider.decide(like(published), fold(likeDecider, [liked]), ctx)).toEqual([]);
  });
  it('unlikes only what was liked', () => {
    expect(likeDecider.decide(unlike(published), fold(likeDecider, []), ctx)).toEqual([]);
    expect(likeDecider.decide(unlike(published), fold(likeDecider, [liked]), ctx)).toEqual([unliked]);
    expect(likeDecider.decide(like(published), fold(likeDecider, [liked, unliked]), ctx)).toEqual([liked]);
  });
  it('refuses anything on a deleted or missing post', () => {
    expect(() => likeDecider.decide(like(gone), fold(likeDecider, []), ctx)).toThrow(RuleViolated);
    expect(() => likeDecider.decide(like({ status: 'empty' }), fold(likeDecider, []), ctx)).toThrow(NotFound);
  });
});

describe('comment decider', () => {
  const add: CommentCommand = { type: 'AddComment', postId: 'p1', commentId: 'c1', authorId: 'bob', text: 'nice', post: published };
  const added = { type: T.CommentAdded, data: { postId: 'p1', commentId: 'c1', authorId: 'bob', text: 'nice' } } as const;

  it('adds a comment to an open post only', () => {
    expect(commentDecider.decide(add, fold(commentDecider, []), ctx)).toEqual([added]);
    expect(() => commentDecider.decide({ ...add, post: gone }, fold(commentDecider, []), ctx)).toThrow(RuleViolated);
    expect(() => commentDecider.decide({ ...add, text: 'x'.repeat(1001) }, fold(commentDecider, []), ctx)).toThrow(/at most 1000/);
  });
  it('lets only the comment author delete it', () => {
    const del = (userId: string): CommentCommand => ({ type: 'DeleteComment', postId: 'p1', commentId: 'c1', userId });
    expect(() => commentDecider.decide(del('alice'), fold(commentDecider, [added]), ctx)).toThrow(Forbidden);
    expect(commentDecider.decide(del('bob'), fold(commentDecider, [added]), ctx)).toEqual([
      { type: T.CommentDeleted, data: { postId: 'p1', commentId: 'c1', authorId: 'bob' } },
    ]);
    expect(() => commentDecider.decide({ ...del('bob'), postId: 'other' }, fold(commentDecider, [added]), ctx)).toThrow(NotFound);
  });
});
