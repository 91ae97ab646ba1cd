import { Forbidden, NotFound, RuleViolated, ValidationFailed } from '@streamfold/core';

export const POST_TEXT_MAX = 2000;
export const COMMENT_TEXT_MAX = 1000;

export const PostNotFound = {
  because: (postId: string) => new NotFound(`post ${postId} does not exist`),
};

export const PostDeletedAlready = {
  because: (postId: string) => new RuleViolated('post_deleted', `post ${postId} was deleted`),
};

export const NotTheAuthor = {
  ofPost: (postId: string) => new Forbidden(`only the author may delete post ${postId}`),
  ofComment: (commentId: string) => new Forbidden(`only the author may delete comment ${commentId}`),
};

export const CommentNotFound = {
  because: (commentId: string) => new NotFound(`comment ${commentId} does not exist`),
};

export const TextInvalid = {
  becauseEmpty: (field: string) => new ValidationFailed(field, 'must not be empty'),
  becauseNotText: (field: string) => new ValidationFailed(field, 'must be valid Unicode text without NUL characters'),
  becauseTooLong: (field: string, max: number, length: number) =>
    new ValidationFailed(field, `must be at most ${max} characters, got ${length}`),
};

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Trims and checks a user text; the limits are counted in Unicode code points, not UTF-16 units. */
export function validText(field: string, raw: string, max: number): string {
  const text = raw.trim();
  if (text.length === 0) throw TextInvalid.becauseEmpty(field);
  // PostgreSQL text and jsonb hold neither NUL nor unpaired surrogates: refuse them as input.
  if (text.includes('\u0000') || LONE_SURROGATE.test(text)) throw TextInvalid.becauseNotText(field);
  const length = [...text].length;
  if (length > max) throw TextInvalid.becauseTooLong(field, max, length);
  return text;
}
