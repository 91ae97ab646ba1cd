import { Injectable, Logger } from '@nestjs/common';
import { filter, Observable, Subject } from 'rxjs';
import { NotificationSender } from './comment-notifier.reaction';

/** One notification as subscribers see it. */
export interface LiveNotification {
  userId: string;
  message: string;
  at: string;
}

/**
 * The default sender: logs each notification and pushes it to this process's live subscribers
 * (GraphQL `myNotifications`). In-process on purpose: a deployment that splits reactions from the
 * API binds a real sender (push, e-mail); the embedded default and one-process hosts need no broker.
 */
@Injectable()
export class LiveNotificationSender implements NotificationSender {
  private readonly logger = new Logger('Notifications');
  private readonly sent = new Subject<LiveNotification>();

  async send(userId: string, message: string): Promise<void> {
    this.logger.log(`to ${userId}: ${message}`);
    this.sent.next({ userId, message, at: new Date().toISOString() });
  }

  /** Notifications for one user from now on. */
  forUser(userId: string): Observable<LiveNotification> {
    return this.sent.pipe(filter((n) => n.userId === userId));
  }
}
