import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Database } from '@streamfold/runtime';
import { PostNotFound } from '../domain/social.errors';
import { TRENDING_QUERY } from '../read-models/trending.projection';

export interface PostView {
  postId: string;
  authorId: string;
  text: string;
  likes: number;
  comments: number;
  createdAt: string;
}

export interface PostCounts {
  postId: string;
  likes: number;
  comments: number;
  score?: number;
}

export class GetPost {
  constructor(readonly postId: string) {}
}
/** Several posts by id at once (GraphQL's per-request batch); absent or deleted posts are missing from the map. */
export class GetPosts {
  constructor(readonly postIds: readonly string[]) {}
}
export class GetFeed {
  constructor(readonly limit: number) {}
}
export class GetTrending {
  constructor(readonly limit: number, readonly atMs: number = Date.now()) {}
}

@QueryHandler(GetPost)
export class GetPostHandler implements IQueryHandler<GetPost, PostView> {
  constructor(private readonly db: Database) {}

  async execute({ postId }: GetPost): Promise<PostView> {
    const { rows } = await this.db.query(
      `SELECT post_id, author_id, text, likes, comments, created_at FROM social_posts
       WHERE post_id = $1 AND deleted_at IS NULL AND author_id IS NOT NULL`,
      [postId],
    );
    if (rows.length === 0) throw PostNotFound.because(postId);
    const r = rows[0];
    return { postId: r.post_id, authorId: r.author_id, text: r.text, likes: r.likes, comments: r.comments, createdAt: new Date(r.created_at).toISOString() };
  }
}

@QueryHandler(GetPosts)
export class GetPostsHandler implements IQueryHandler<GetPosts, Map<string, PostView>> {
  constructor(private readonly db: Database) {}

  async execute({ postIds }: GetPosts): Promise<Map<string, PostView>> {
    const { rows } = await this.db.query(
      `SELECT post_id, author_id, text, likes, comments, created_at FROM social_posts
       WHERE post_id = ANY($1::text[]) AND deleted_at IS NULL AND author_id IS NOT NULL`,
      [postIds],
    );
    return new Map(rows.map((r) => [r.post_id, { postId: r.post_id, authorId: r.author_id, text: r.text, likes: r.likes, comments: r.comments, createdAt: new Date(r.created_at).toISOString() }]));
  }
}

@QueryHandler(GetFeed)
export class GetFeedHandler implements IQueryHandler<GetFeed, PostCounts[]> {
  constructor(private readonly db: Database) {}

  async execute({ limit }: GetFeed): Promise<PostCounts[]> {
    const { rows } = await this.db.query(
      `SELECT post_id, likes, comments FROM social_posts
       WHERE deleted_at IS NULL AND author_id IS NOT NULL
       ORDER BY created_at DESC, post_id DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ postId: r.post_id, likes: r.likes, comments: r.comments }));
  }
}

@QueryHandler(GetTrending)
export class GetTrendingHandler implements IQueryHandler<GetTrending, PostCounts[]> {
  constructor(private readonly db: Database) {}

  async execute({ limit, atMs }: GetTrending): Promise<PostCounts[]> {
    const { rows } = await this.db.query(TRENDING_QUERY, [atMs, limit]);
    return rows.map((r) => ({ postId: r.post_id, likes: r.likes, comments: r.comments, score: r.score }));
  }
}
