import { Body, Controller, Delete, Get, HttpCode, MessageEvent, Param, Post, Put, Query, Sse } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '@streamfold/auth';
import { ApiCommand, ApiRead, IdempotencyKey, uuidParam } from '@streamfold/nestjs';
import { Observable } from 'rxjs';
import { AddComment } from '../application/add-comment.command';
import { DeleteComment } from '../application/delete-comment.command';
import { CreatePost } from '../application/create-post.command';
import { DeletePost } from '../application/delete-post.command';
import { LikePost, UnlikePost } from '../application/like-post.command';
import { GetFeed, GetPost, GetTrending } from '../application/post.queries';
import { LiveCountsService } from './live-counts.service';
import { CommentIdResponse, LimitQuery, PostCountsResponse, PostIdResponse, PostResponse, TextBody } from './social.dto';

@ApiTags('social')
@Controller('social')
export class SocialController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly live: LiveCountsService,
  ) {}

  @Post('posts')
  @ApiCommand({ operationId: 'createPost', summary: 'Publish a post', idempotencyKey: true, body: TextBody })
  @ApiCreatedResponse({ type: PostIdResponse, description: 'published' })
  create(@CurrentUser() user: Principal, @Body() body: TextBody, @IdempotencyKey() key?: string): Promise<PostIdResponse> {
    return this.commands.execute(new CreatePost(user.userId, body.text, key));
  }

  @Delete('posts/:postId')
  @HttpCode(204)
  @ApiCommand({ operationId: 'deletePost', summary: 'Delete one of your posts', errors: [403, 404, 409] })
  @ApiNoContentResponse({ description: 'deleted (deleting again changes nothing)' })
  remove(@CurrentUser() user: Principal, @Param('postId', uuidParam('postId')) postId: string): Promise<void> {
    return this.commands.execute(new DeletePost(user.userId, postId));
  }

  @Put('posts/:postId/like')
  @HttpCode(204)
  @ApiCommand({ operationId: 'likePost', summary: 'Like a post', errors: [404, 409, 422] })
  @ApiNoContentResponse({ description: 'idempotent: liking again changes nothing' })
  like(@CurrentUser() user: Principal, @Param('postId', uuidParam('postId')) postId: string): Promise<void> {
    return this.commands.execute(new LikePost(user.userId, postId));
  }

  @Delete('posts/:postId/like')
  @HttpCode(204)
  @ApiCommand({ operationId: 'unlikePost', summary: 'Take back a like', errors: [404, 409, 422] })
  @ApiNoContentResponse({ description: 'idempotent: unliking what you did not like changes nothing' })
  unlike(@CurrentUser() user: Principal, @Param('postId', uuidParam('postId')) postId: string): Promise<void> {
    return this.commands.execute(new UnlikePost(user.userId, postId));
  }

  @Post('posts/:postId/comments')
  @ApiCommand({ operationId: 'addComment', summary: 'Comment on a post', idempotencyKey: true, body: TextBody, errors: [404, 422] })
  @ApiCreatedResponse({ type: CommentIdResponse, description: 'added' })
  comment(
    @CurrentUser() user: Principal,
    @Param('postId', uuidParam('postId')) postId: string,
    @Body() body: TextBody,
    @IdempotencyKey() key?: string,
  ): Promise<CommentIdResponse> {
    return this.commands.execute(new AddComment(user.userId, postId, body.text, key));
  }

  @Delete('posts/:postId/comments/:commentId')
  @HttpCode(204)
  @ApiCommand({ operationId: 'deleteComment', summary: 'Delete one of your comments', errors: [403, 404, 409] })
  @ApiNoContentResponse({ description: 'deleted (deleting again changes nothing)' })
  uncomment(@CurrentUser() user: Principal, @Param('postId', uuidParam('postId')) postId: string, @Param('commentId', uuidParam('commentId')) commentId: string): Promise<void> {
    return this.commands.execute(new DeleteComment(user.userId, postId, commentId));
  }

  @Get('posts/:postId')
  @ApiRead({ operationId: 'getPost', summary: 'Read a post with its counts', public: true, errors: [400, 404] })
  @ApiOkResponse({ type: PostResponse, description: 'the post with its counts' })
  post(@Param('postId', uuidParam('postId')) postId: string): Promise<PostResponse> {
    return this.queries.execute(new GetPost(postId));
  }

  @Get('feed')
  @ApiRead({ operationId: 'getFeed', summary: 'Newest posts with their counts', public: true, errors: [400] })
  @ApiOkResponse({ type: [PostCountsResponse] })
  feed(@Query() q: LimitQuery): Promise<PostCountsResponse[]> {
    return this.queries.execute(new GetFeed(q.limit ?? 20));
  }

  @Get('trending')
  @ApiRead({ operationId: 'getTrending', summary: 'Posts with the most likes and comments in the past hour', public: true, errors: [400] })
  @ApiOkResponse({ type: [PostCountsResponse] })
  trending(@Query() q: LimitQuery): Promise<PostCountsResponse[]> {
    return this.queries.execute(new GetTrending(q.limit ?? 20));
  }

  @Sse('posts/:postId/live')
  @ApiRead({ operationId: 'watchPostCounts', summary: 'Stream a post’s counts as server-sent events', public: true, errors: [400] })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'an event with `{ postId, likes, comments }` now and on every change', schema: { type: 'string' } })
  liveCounts(@Param('postId', uuidParam('postId')) postId: string): Observable<MessageEvent> {
    return this.live.watch(postId);
  }
}
