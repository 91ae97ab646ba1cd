import { BadRequestException, Body, Controller, Delete, Get, Headers, HttpCode, MessageEvent, Param, ParseUUIDPipe, Post, Put, Query, Sse } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal, Public } from '@streamfold/auth';
import { Observable } from 'rxjs';
import { AddComment } from '../application/add-comment.command';
import { DeleteComment } from '../application/delete-comment.command';
import { CreatePost } from '../application/create-post.command';
import { DeletePost } from '../application/delete-post.command';
import { LikePost, UnlikePost } from '../application/like-post.command';
import { GetFeed, GetPost, GetTrending } from '../application/post.queries';
import { LiveCountsService } from './live-counts.service';
import { CommentIdResponse, LimitQuery, PostCountsResponse, PostIdResponse, PostResponse, TextBody } from './social.dto';

const uuid = (field: string) =>
  new ParseUUIDPipe({ version: '4', exceptionFactory: () => new BadRequestException(`${field} must be a UUID`) });
const IDEMPOTENCY = { name: 'Idempotency-Key', required: false, description: 'retrying with the same key creates nothing new' };

@ApiTags('social')
@ApiBearerAuth()
@Controller('social')
export class SocialController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly live: LiveCountsService,
  ) {}

  @Post('posts')
  @ApiHeader(IDEMPOTENCY)
  @ApiCreatedResponse({ type: PostIdResponse })
  create(@CurrentUser() user: Principal, @Body() body: TextBody, @Headers('idempotency-key') key?: string): Promise<PostIdResponse> {
    return this.commands.execute(new CreatePost(user.userId, body.text, key));
  }

  @Delete('posts/:postId')
  @HttpCode(204)
  @ApiNoContentResponse()
  remove(@CurrentUser() user: Principal, @Param('postId', uuid('postId')) postId: string): Promise<void> {
    return this.commands.execute(new DeletePost(user.userId, postId));
  }

  @Put('posts/:postId/like')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'idempotent: liking again changes nothing' })
  like(@CurrentUser() user: Principal, @Param('postId', uuid('postId')) postId: string): Promise<void> {
    return this.commands.execute(new LikePost(user.userId, postId));
  }

  @Delete('posts/:postId/like')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'idempotent: unliking what you did not like changes nothing' })
  unlike(@CurrentUser() user: Principal, @Param('postId', uuid('postId')) postId: string): Promise<void> {
    return this.commands.execute(new UnlikePost(user.userId, postId));
  }

  @Post('posts/:postId/comments')
  @ApiHeader(IDEMPOTENCY)
  @ApiCreatedResponse({ type: CommentIdResponse })
  comment(
    @CurrentUser() user: Principal,
    @Param('postId', uuid('postId')) postId: string,
    @Body() body: TextBody,
    @Headers('idempotency-key') key?: string,
  ): Promise<CommentIdResponse> {
    return this.commands.execute(new AddComment(user.userId, postId, body.text, key));
  }

  @Delete('posts/:postId/comments/:commentId')
  @HttpCode(204)
  @ApiNoContentResponse()
  uncomment(@CurrentUser() user: Principal, @Param('postId', uuid('postId')) postId: string, @Param('commentId', uuid('commentId')) commentId: string): Promise<void> {
    return this.commands.execute(new DeleteComment(user.userId, postId, commentId));
  }

  @Public()
  @Get('posts/:postId')
  @ApiOkResponse({ type: PostResponse })
  post(@Param('postId', uuid('postId')) postId: string): Promise<PostResponse> {
    return this.queries.execute(new GetPost(postId));
  }

  @Public()
  @Get('feed')
  @ApiOkResponse({ type: [PostCountsResponse] })
  feed(@Query() q: LimitQuery): Promise<PostCountsResponse[]> {
    return this.queries.execute(new GetFeed(q.limit ?? 20));
  }

  @Public()
  @Get('trending')
  @ApiOkResponse({ type: [PostCountsResponse] })
  trending(@Query() q: LimitQuery): Promise<PostCountsResponse[]> {
    return this.queries.execute(new GetTrending(q.limit ?? 20));
  }

  @Public()
  @Sse('posts/:postId/live')
  liveCounts(@Param('postId', uuid('postId')) postId: string): Observable<MessageEvent> {
    return this.live.watch(postId);
  }
}
