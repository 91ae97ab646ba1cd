import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { StreamfoldModule } from '@streamfold/nestjs';
import { GetContinueWatchingHandler, GetProfileHandler, GetRecommendationsHandler, GetResumeHandler } from './application/movieflix.queries';
import { ReportHeartbeatsHandler } from './application/report-heartbeats.command';
import { RateVideoHandler, StartPlaybackHandler, StopPlaybackHandler } from './application/viewing.commands';
import { Catalog, vendoredCatalog } from './catalog/catalog';
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
    GetContinueWatchingHandler,
    GetProfileHandler,
    GetRecommendationsHandler,
    LiveUsersService,
    { provide: Catalog, useFactory: vendoredCatalog },
  ],
})
export class MovieflixModule {}
