import { Args, Context, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { CurrentUser, Principal, Public } from '@streamfold/auth';
import { idempotencyKeyOf, requestLoader, StreamfoldGraphQLContext, uuidParam } from '@streamfold/nestjs';
import { AddComment } from '../application/add-comment.command';
import { CreatePost } from '../application/create-post.command';
import { DeleteComment } from '../application/delete-comment.command';
import { DeletePost } from '../application/delete-post.command';
import { LikePost, UnlikePost } from '../application/like-post.command';
import { GetFeed, GetPost, GetPosts, GetTrending, PostCounts, PostView } from '../application/post.queries';
import { AddCommentArgs, AddedCommentType, CreatedPostType, CreatePostArgs, LimitArgs, listComplexity, PostCountsType, PostType } from './social.types';

/**
 * MySocialMedia over GraphQL: the REST controller's twin. Builds the same commands and queries
 * and sends them through the same buses; the host's guards, validation pipe and error mapping
 * apply unchanged (public reads, bearer-authenticated and rate-limited mutations).
 */
@Resolver(() => PostCountsType)
export class SocialResolver {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Public()
  @Query(() => PostType, { description: 'a post with its counts' })
  post(@Args('postId', { type: () => ID }, uuidParam('postId')) postId: string): Promise<PostView> {
    return this.queries.execute(new GetPost(postId));
  }

  @Public()
  @Query(() => [PostCountsType], { description: 'newest posts with their counts', complexity: listComplexity })
  feed(@Args() { limit }: LimitArgs): Promise<PostCounts[]> {
    return this.queries.execute(new GetFeed(limit));
  }

  @Public()
  @Query(() => [PostCountsType], { description: 'most likes and comments in the past hour', complexity: listComplexity })
  trending(@Args() { limit }: LimitArgs): Promise<PostCounts[]> {
    return this.queries.execute(new GetTrending(limit));
  }

  /** The post behind a feed or trending entry: one batched read per request, not one per entry. */
  @ResolveField('post', () => PostType, { nullable: true })
  postOf(@Parent() counts: PostCounts, @Context() ctx: StreamfoldGraphQLContext): Promise<PostView | null> {
    const loader = requestLoader<string, PostView | null>(ctx, 'social.posts', async (ids) => {
      const found = await this.queries.execute<GetPosts, Map<string, PostView>>(new GetPosts(ids));
      return ids.map((id) => found.get(id) ?? null);
    });
    return loader.load(counts.postId);
  }

  @Mutation(() => CreatedPostType)
  createPost(@CurrentUser() user: Principal, @Args() args: CreatePostArgs): Promise<CreatedPostType> {
    return this.commands.execute(new CreatePost(user.userId, args.text, idempotencyKeyOf(args)));
  }

  @Mutation(() => Boolean, { description: 'true; deleting again changes nothing' })
  async deletePost(@CurrentUser() user: Principal, @Args('postId', { type: () => ID }, uuidParam('postId')) postId: string): Promise<boolean> {
    await this.commands.execute(new DeletePost(user.userId, postId));
    return true;
  }

  @Mutation(() => Boolean, { description: 'true; liking again changes nothing' })
  async likePost(@CurrentUser() user: Principal, @Args('postId', { type: () => ID }, uuidParam('postId')) postId: string): Promise<boolean> {
    await this.commands.execute(new LikePost(user.userId, postId));
    return true;
  }

  @Mutation(() => Boolean, { description: 'true; unliking what you did not like changes nothing' })
  async unlikePost(@CurrentUser() user: Principal, @Args('postId', { type: () => ID }, uuidParam('postId')) postId: string): Promise<boolean> {
    await this.commands.execute(new UnlikePost(user.userId, postId));
    return true;
  }

  @Mutation(() => AddedCommentType)
  addComment(@CurrentUser() user: Principal, @Args() args: AddCommentArgs): Promise<AddedCommentType> {
    return this.commands.execute(new AddComment(user.userId, args.postId, args.text, idempotencyKeyOf(args)));
  }

  @Mutation(() => Boolean, { description: 'true; deleting again changes nothing' })
  async deleteComment(
    @CurrentUser() user: Principal,
    @Args('postId', { type: () => ID }, uuidParam('postId')) postId: string,
    @Args('commentId', { type: () => ID }, uuidParam('commentId')) commentId: string,
  ): Promise<boolean> {
    await this.commands.execute(new DeleteComment(user.userId, postId, commentId));
    return true;
  }
}
