import { Args, ID, Subscription, Resolver } from '@nestjs/graphql';
import { CurrentUser, Principal } from '@streamfold/auth';
import { Forbidden } from '@streamfold/core';
import { observableIterator, uuidParam } from '@streamfold/nestjs';
import { LiveCountsService } from '../http/live-counts.service';
import { LiveTrendingService } from '../http/live-trending.service';
import { LiveNotificationSender } from '../reactions/live-notifications';
import { LimitArgs, NotificationType, PostCountsType } from './social.types';

// Values are sent as they are: no `{ fieldName: value }` wrapping as with a PubSub payload.
const AS_IS = { resolve: (value: unknown) => value };

/**
 * Live MySocialMedia over graphql-ws. The socket was authenticated at connection; counts and
 * trending come from the same live source as the SSE stream, notifications only to their user.
 */
@Resolver()
export class SocialLiveResolver {
  constructor(
    private readonly counts: LiveCountsService,
    private readonly trending: LiveTrendingService,
    private readonly notifications: LiveNotificationSender,
  ) {}

  @Subscription(() => PostCountsType, { ...AS_IS, description: 'a post’s counts now and on every change; ends when the post is deleted' })
  postCounts(@Args('postId', { type: () => ID }, uuidParam('postId')) postId: string) {
    return observableIterator(this.counts.counts(postId));
  }

  @Subscription(() => [PostCountsType], { ...AS_IS, name: 'trending', description: 'trending now and whenever it changes' })
  liveTrending(@Args() { limit }: LimitArgs) {
    return observableIterator(this.trending.watch(limit));
  }

  /**
   * The caller's own notifications. `userId` may be given only as the caller's own id (an admin
   * may watch anyone's): users reach only their own data (invariant 9).
   */
  @Subscription(() => NotificationType, { ...AS_IS, description: 'notifications for the signed-in user (someone commented on your post)' })
  myNotifications(@CurrentUser() user: Principal, @Args('userId', { nullable: true }) userId?: string) {
    const target = userId ?? user.userId;
    if (target !== user.userId && !user.roles.includes('admin')) throw new Forbidden(`notifications of ${target} belong to that user only`);
    return observableIterator(this.notifications.forUser(target));
  }
}
