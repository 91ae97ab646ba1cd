import { Args, Resolver, Subscription } from '@nestjs/graphql';
import { QueryBus } from '@nestjs/cqrs';
import { CurrentUser, Principal } from '@streamfold/auth';
import { Forbidden } from '@streamfold/core';
import { observableIterator } from '@streamfold/nestjs';
import { map } from 'rxjs';
import { GetProfile, GetRecommendations } from '../application/movieflix.queries';
import { LiveUsersService } from '../http/live-users.service';
import { PROFILE_CHANNEL } from '../read-models/profile.projection';
import { RECOMMENDATIONS_CHANNEL } from '../read-models/recommendations.projection';
import { ProfileType, RecommendationsType, UserWatchArgs } from './movieflix.types';

// Values are sent as they are: no `{ fieldName: value }` wrapping as with a PubSub payload.
const AS_IS = { resolve: (value: unknown) => value };

/** The user a live view follows: the caller, or another user for an admin only (invariant 9). */
function ownUser(user: Principal, userId: string | undefined, what: string): string {
  const target = userId ?? user.userId;
  if (target !== user.userId && !user.roles.includes('admin')) throw new Forbidden(`${what} of ${target} belong to that user only`);
  return target;
}

/** Live MovieFlix over graphql-ws, from the same change signals as the SSE streams. */
@Resolver()
export class MovieflixLiveResolver {
  constructor(
    private readonly queries: QueryBus,
    private readonly live: LiveUsersService,
  ) {}

  @Subscription(() => RecommendationsType, { ...AS_IS, name: 'recommendations', description: 'your recommendations now and whenever a finished playback changes them' })
  liveRecommendations(@CurrentUser() user: Principal, @Args() { userId }: UserWatchArgs) {
    const target = ownUser(user, userId, 'recommendations');
    return observableIterator(this.live.watch(RECOMMENDATIONS_CHANNEL, target, 'recommendations', () => this.queries.execute(new GetRecommendations(target))).pipe(map((e) => e.data)));
  }

  @Subscription(() => ProfileType, { ...AS_IS, name: 'profile', description: 'your profile now and on every change' })
  liveProfile(@CurrentUser() user: Principal, @Args() { userId }: UserWatchArgs) {
    const target = ownUser(user, userId, 'profile');
    return observableIterator(this.live.watch(PROFILE_CHANNEL, target, 'profile', () => this.queries.execute(new GetProfile(target))).pipe(map((e) => e.data)));
  }
}
