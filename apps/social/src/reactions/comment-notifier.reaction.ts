import { Controller, Inject, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventEnvelope } from '@streamfold/core';
import { onceByEventId, ReactionContext } from '@streamfold/nestjs';
import { Database } from '@streamfold/runtime';
import { SocialEventType as T } from '../domain/social.events';
import { SocialTopic } from '../social.topics';

/** Where notifications go (push, e-mail ...). The default logs them; deployments bind their own. */
export interface NotificationSender {
  send(userId: string, message: string, dedupeKey: string): Promise<void>;
}
export const NOTIFICATION_SENDER = Symbol('NOTIFICATION_SENDER');

/**
 * Tells a post's author that someone commented: a side effect, not a read model, so it runs as a
 * reaction (`@EventPattern` over the Streamfold transport), at least once, de-duplicated by event
 * id. The author comes from the post_counts read model; a comment on a post not yet projected is
 * retried by the transport until it is.
 */
@Controller()
export class CommentNotifier {

  constructor(
    private readonly db: Database,
    @Inject(NOTIFICATION_SENDER) private readonly sender: NotificationSender,
  ) {}

  @EventPattern(SocialTopic.comments)
  async onComment(@Payload() event: EventEnvelope, @Ctx() ctx: ReactionContext): Promise<void> {
    if (event.type !== T.CommentAdded) return;
    const { postId, authorId } = event.data as { postId: string; authorId: string };
    const { rows } = await this.db.query('SELECT author_id FROM social_posts WHERE post_id = $1', [postId]);
    if (rows.length === 0 || rows[0].author_id === null) throw new Error(`post ${postId} is not projected yet (${ctx.getMessage().topic}@${ctx.getMessage().offset})`);
    const postAuthor: string = rows[0].author_id;
    if (postAuthor === authorId) return;
    await onceByEventId(this.db, 'social.comment-notifier', event.eventId, () =>
      this.sender.send(postAuthor, `${authorId} commented on your post ${postId}`, event.eventId),
    );
  }
}

/** The default sender: one log line per notification. */
export class LoggingNotificationSender implements NotificationSender {
  private readonly logger = new Logger('Notifications');
  async send(userId: string, message: string): Promise<void> {
    this.logger.log(`to ${userId}: ${message}`);
  }
}
