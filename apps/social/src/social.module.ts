import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { StreamfoldModule } from '@streamfold/nestjs';
import { AddCommentHandler } from './application/add-comment.command';
import { CreatePostHandler } from './application/create-post.command';
import { DeleteCommentHandler } from './application/delete-comment.command';
import { DeletePostHandler } from './application/delete-post.command';
import { LikePostHandler, UnlikePostHandler } from './application/like-post.command';
import { GetFeedHandler, GetPostHandler, GetPostsHandler, GetTrendingHandler } from './application/post.queries';
import { SocialLiveResolver } from './graphql/social-live.resolver';
import { SocialResolver } from './graphql/social.resolver';
import { LiveCountsService } from './http/live-counts.service';
import { LiveTrendingService } from './http/live-trending.service';
import { SocialController } from './http/social.controller';
import { CommentNotifier, NOTIFICATION_SENDER } from './reactions/comment-notifier.reaction';
import { LiveNotificationSender } from './reactions/live-notifications';
import { socialContext } from './social.context';

/** MySocialMedia bounded context: posts, likes, comments, live counts, trending; REST, SSE and GraphQL. */
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
    GetPostsHandler,
    GetFeedHandler,
    GetTrendingHandler,
    LiveCountsService,
    LiveTrendingService,
    SocialResolver,
    SocialLiveResolver,
    LiveNotificationSender,
    { provide: NOTIFICATION_SENDER, useExisting: LiveNotificationSender },
  ],
})
export class SocialModule {}
