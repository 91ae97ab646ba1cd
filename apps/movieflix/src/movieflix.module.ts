import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { StreamfoldModule } from '@streamfold/nestjs';
import { GetContinueWatchingHandler, GetProfileHandler, GetRecommendationsHandler, GetResumeHandler, GetResumesHandler } from './application/movieflix.queries';
import { ReportHeartbeatsHandler } from './application/report-heartbeats.command';
import { RateVideoHandler, StartPlaybackHandler, StopPlaybackHandler } from './application/viewing.commands';
import { Catalog, vendoredCatalog } from './catalog/catalog';
import { MovieflixLiveResolver } from './graphql/movieflix-live.resolver';
import { MovieflixResolver } from './graphql/movieflix.resolver';
import { LiveUsersService } from './http/live-users.service';
import { MovieflixController } from './http/movieflix.controller';
import { movieflixContext } from './movieflix.context';

/** MovieFlix bounded context: playback intents and heartbeats in, resume, profile and recommendations out. */
@Module({
  imports: [CqrsModule, StreamfoldModule.forFeature(movieflixContext)],
  controllers: [MovieflixController],
  providers: [
    StartPlaybackHandler,
    StopPlaybackHandler,
    RateVideoHandler,
    ReportHeartbeatsHandler,
    GetResumeHandler,
    GetResumesHandler,
    GetContinueWatchingHandler,
    GetProfileHandler,
    GetRecommendationsHandler,
    LiveUsersService,
    MovieflixResolver,
    MovieflixLiveResolver,
    { provide: Catalog, useFactory: vendoredCatalog },
  ],
})
export class MovieflixModule {}
