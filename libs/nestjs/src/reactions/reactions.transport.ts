import { ArgumentsHost, Catch, INestApplication, INestMicroservice, Logger, RpcExceptionFilter } from '@nestjs/common';
import { BaseRpcContext, CustomTransportStrategy, NestMicroservice, Server } from '@nestjs/microservices';
import { EventEnvelope, fromWire } from '@streamfold/core';
import type { BatchContext, ConsumerHandle, LogBatch, LogMessage, MessageLog } from '@streamfold/messaging';
import { backoffMs, DeadLetterWriter, describeError, retryPolicy, RetryPolicy, sleep } from '@streamfold/projections';
import type { Database } from '@streamfold/runtime';
import { lastValueFrom, Observable, throwError } from 'rxjs';

/** The second argument of a reaction handler (`@Ctx()`): where the event came from. */
export class ReactionContext extends BaseRpcContext<[LogMessage]> {
  /** The Kafka message (topic, partition, offset, key, headers). */
  getMessage(): LogMessage {
    return this.args[0];
  }
}

/**
 * Hands a reaction's error back to the transport as it is (Nest's default RPC filter would turn
 * it into "Internal server error"), so retries see it and the dead letter records it.
 * `connectReactions` (and so `startServer`) installs it; install it yourself on a microservice you
 * create by hand, before `listen()`.
 */
@Catch()
export class ReactionErrorFilter implements RpcExceptionFilter {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Connects the reactions transport to an HTTP application (a hybrid app), with ReactionErrorFilter
 * as its own global filter (never the HTTP routes'). Nest's `connectMicroservice` binds the pattern
 * handlers, and with them their exception filters, at once: a filter added afterwards is ignored
 * (Nest only warns), so the handlers are bound here after the filter. Start it with
 * `app.startAllMicroservices()`.
 */
export function connectReactions(app: INestApplication, strategy: ReactionsTransport): INestMicroservice {
  const reactions = app.connectMicroservice({ strategy }, { deferInitialization: true }) as NestMicroservice;
  reactions.useGlobalFilters(new ReactionErrorFilter());
  // What connectMicroservice does itself without deferInitialization, now after the filter; the
  // application's init hooks have run (or will) for the shared container, so not again here.
  reactions.registerListeners();
  reactions.setIsInitialized(true);
  reactions.setIsInitHookCalled(true);
  return reactions;
}

/** Options of the reactions transport. */
export interface ReactionsTransportOptions {
  /** Consumer group of every reaction in the process. @default 'streamfold.reactions' */
  groupId?: string;
  /** Attempts per event before it is dead-lettered, with the runner's backoff. @default maxAttempts 5, backoff 100 ms doubling to 5 s */
  retry?: Partial<RetryPolicy>;
}

/**
 * A `@nestjs/microservices` transport over the MessageLog port, so side effects that need no
 * read-model transaction (a notification, a call to another service) are written the Nest way:
 * `@EventPattern('<topic>') onX(@Payload() event: EventEnvelope, @Ctx() ctx: ReactionContext)`.
 *
 * Delivery is AT LEAST ONCE: a partition's batch is committed after its handlers resolved, so a
 * crash or rebalance delivers some events again. A handler whose effect must not repeat
 * de-duplicates by `event.eventId` (see `onceByEventId`). A handler that keeps throwing is retried
 * with backoff, then its event is dead-lettered (`cli dlq list`) so the partition moves on.
 * Read models and processors do not belong here: they need the runner's exactly-once checkpoint.
 */
export class ReactionsTransport extends Server implements CustomTransportStrategy {
  private readonly log$ = new Logger('Reactions');
  private handle: ConsumerHandle | null = null;
  private readonly policy: RetryPolicy;
  private readonly deadLetters: DeadLetterWriter;

  constructor(
    private readonly messageLog: MessageLog,
    private readonly db: Database,
    private readonly options: ReactionsTransportOptions = {},
  ) {
    super();
    this.policy = retryPolicy(options.retry);
    this.deadLetters = new DeadLetterWriter(messageLog);
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    const topics = [...this.messageHandlers.keys()];
    try {
      if (topics.length > 0) {
        this.handle = await this.messageLog.consume({
          groupId: this.options.groupId ?? 'streamfold.reactions',
          topics,
          eachBatch: (batch, context) => this.onBatch(batch, context),
        });
        this.log$.log(`reacting to ${topics.join(', ')}`);
      }
      callback();
    } catch (error) {
      callback(error);
    }
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.stop();
  }

  on(): never {
    throw new Error('ReactionsTransport has no events to listen to');
  }

  unwrap<T>(): T {
    return this.messageLog as T;
  }

  private async onBatch(batch: LogBatch, context: BatchContext): Promise<void> {
    const handler = this.getHandlerByPattern(batch.topic);
    if (!handler) return;
    for (const message of batch.messages) {
      if (!context.isRunning()) throw new Error('reactions: partition released; the rest of the batch comes again');
      let envelope: EventEnvelope;
      try {
        envelope = fromWire(message.value).envelope; // without headers: the sequence is not needed here
      } catch (error) {
        await this.deadLetter(message, describeError(error), 1);
        continue;
      }
      for (let attempt = 1; ; attempt++) {
        try {
          await lastValueFrom(this.transformToObservable(await handler(envelope, new ReactionContext([message]))), { defaultValue: undefined });
          break;
        } catch (error) {
          if (attempt >= this.policy.maxAttempts) {
            await this.deadLetter(message, describeHandlerError(error), attempt);
            break;
          }
          await sleep(backoffMs(this.policy, attempt));
          await context.heartbeat();
        }
      }
    }
  }

  private async deadLetter(message: LogMessage, error: string, attempts: number): Promise<void> {
    this.log$.warn(`${message.topic}/${message.partition}@${message.offset}: dead-lettered after ${attempts} attempt(s): ${error}`);
    await this.deadLetters.write(this.db.pool, { consumer: `reactions:${message.topic}`, message, error, attempts });
  }
}

/** Nest's RPC exception layer hands back `{ status, message }` objects rather than Errors. */
function describeHandlerError(error: unknown): string {
  if (error instanceof Error) return describeError(error);
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : JSON.stringify(error);
}
