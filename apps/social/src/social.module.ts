import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { StreamfoldModule } from '@streamfold/nestjs';
import { AddCommentHandler } from './application/add-comment.command';
import { CreatePostHandler } from './application/create-post.command';
import { DeleteCommentHandler } from './application/delete-comment.command';
import { DeletePostHandler } from './application/delete-post.command';
import { LikePostHandler, UnlikePostHandler } from './application/like-post.command';
import { GetFeedHandler, GetPostHandler, GetTrendingHandler } from './application/post.queries';
import { LiveCountsService } from './http/live-counts.service';
import { SocialController } from './http/social.controller';
import { CommentNotifier, LoggingNotificationSender, NOTIFICATION_SENDER } from './reactions/comment-notifier.reaction';
import { socialContext } from './social.context';

/** MySocialMedia bounded context: posts, likes, comments, live counts, trending. */
@Module({
  imports: [CqrsModule, StreamfoldModule.forFeature(socialContext)],
  controllers: [SocialController, CommentNotifier],
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
    { provide: NOTIFICATION_SENDER, useClass: LoggingNotificationSender },
  ],
})
export class SocialModule {}
