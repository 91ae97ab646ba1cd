import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AddCommentHandler, DeleteCommentHandler } from './application/comments';
import { CreatePostHandler } from './application/create-post';
import { DeletePostHandler } from './application/delete-post';
import { LikePostHandler, UnlikePostHandler } from './application/like-post';
import { GetFeedHandler, GetPostHandler, GetTrendingHandler } from './application/queries';
import { LiveCountsService } from './http/live-counts.service';
import { SocialController } from './http/social.controller';

/** MySocialMedia bounded context: posts, likes, comments, live counts, trending. */
@Module({
  imports: [CqrsModule],
  controllers: [SocialController],
  providers: [
    CreatePostHandler,
    DeletePostHandler,
    LikePostHandler,
    UnlikePostHandler,
    AddCommentHandler,
    DeleteCommentHandler,
    GetPostHandler,
    GetFeedHandler,
    GetTrendingHandler,
    LiveCountsService,
  ],
})
export class SocialModule {}
