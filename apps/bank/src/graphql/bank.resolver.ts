import { Args, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { CurrentUser, Principal } from '@streamfold/auth';
import { Forbidden } from '@streamfold/core';
import { observableIterator, perItem } from '@streamfold/nestjs';
import { AlertView, GetAlerts, GetThresholds } from '../application/bank.queries';
import { ChangeThreshold } from '../application/threshold.commands';
import { LiveAlertsService } from '../http/live-alerts.service';
import { AlertsArgs, AlertType, AlertWatchArgs, CurrencyArgs, ThresholdArgs, ThresholdType } from './bank.types';

// Values are sent as they are: no `{ fieldName: value }` wrapping as with a PubSub payload.
const AS_IS = { resolve: (value: unknown) => value };

/**
 * MyBank over GraphQL: the REST controller's twin. Every field acts for the token's user only
 * (invariant 9); mutations send the same ChangeThreshold commands through the same bus, so the
 * decider's rules, the bearer guard and the write rate limit apply unchanged. Threshold commands
 * are idempotent by state (setting the same amount again appends nothing), as over REST.
 */
@Resolver()
export class BankResolver {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly live: LiveAlertsService,
  ) {}

  @Query(() => [AlertType], { description: 'your large-transaction alerts, newest transaction first', complexity: perItem(500) })
  myAlerts(@CurrentUser() user: Principal, @Args() { limit }: AlertsArgs): Promise<AlertView[]> {
    return this.queries.execute(new GetAlerts(user.userId, limit));
  }

  @Query(() => [ThresholdType], { description: 'your active thresholds, one per currency' })
  myThresholds(@CurrentUser() user: Principal): Promise<ThresholdType[]> {
    return this.queries.execute(new GetThresholds(user.userId));
  }

  @Mutation(() => Boolean, { description: 'ThresholdEnabled; refused (field currency) when one is already active for the currency' })
  async enableThreshold(@CurrentUser() user: Principal, @Args() { currency, amount }: ThresholdArgs): Promise<boolean> {
    await this.commands.execute(new ChangeThreshold({ type: 'EnableThreshold', userId: user.userId, currency, amount }));
    return true;
  }

  @Mutation(() => Boolean, { description: 'enables or changes a threshold; the same amount again changes nothing' })
  async setThreshold(@CurrentUser() user: Principal, @Args() { currency, amount }: ThresholdArgs): Promise<boolean> {
    await this.commands.execute(new ChangeThreshold({ type: 'SetThreshold', userId: user.userId, currency, amount }));
    return true;
  }

  @Mutation(() => Boolean, { description: 'ThresholdDisabled; not_found when none is active for the currency' })
  async disableThreshold(@CurrentUser() user: Principal, @Args() { currency }: CurrencyArgs): Promise<boolean> {
    await this.commands.execute(new ChangeThreshold({ type: 'DisableThreshold', userId: user.userId, currency }));
    return true;
  }

  /**
   * New alerts of the caller, as the alerts projection commits them (the same fan-out as
   * GET /bank/alerts/live). Another user's id is refused with `forbidden` before anything is
   * watched; an admin may follow anyone.
   */
  @Subscription(() => AlertType, { ...AS_IS, description: 'your new alerts as they are detected' })
  alertRaised(@CurrentUser() user: Principal, @Args() { userId }: AlertWatchArgs) {
    const target = userId ?? user.userId;
    if (target !== user.userId && !user.roles.includes('admin')) throw new Forbidden(`alerts of ${target} belong to that user only`);
    return observableIterator(this.live.alerts(target));
  }
}
