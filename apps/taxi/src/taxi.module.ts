import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { StreamfoldModule } from '@streamfold/nestjs';
import { FareSettlerService } from './application/fare-settler.service';
import { MatcherService } from './application/matcher.service';
import { ReportPositionsHandler } from './application/report-positions.command';
import { RequestRideHandler } from './application/request-ride.command';
import { ChangeRideHandler } from './application/ride-lifecycle.command';
import { GetMyRidesHandler, GetRideHandler, GetSurgeHandler } from './application/ride.queries';
import { GetSurgeCellsHandler } from './application/surge-cells.query';
import { TaxiLiveResolver } from './graphql/taxi-live.resolver';
import { TaxiResolver } from './graphql/taxi.resolver';
import { TaxiController } from './http/taxi.controller';
import { TaxiLiveService } from './http/taxi-live.service';
import { taxiContext } from './taxi.context';

/** GetTaxi bounded context: positions, matching, surge pricing, fares; REST, SSE and GraphQL. */
@Module({
  imports: [CqrsModule, StreamfoldModule.forFeature(taxiContext)],
  controllers: [TaxiController],
  providers: [
    ReportPositionsHandler,
    RequestRideHandler,
    ChangeRideHandler,
    GetRideHandler,
    GetMyRidesHandler,
    GetSurgeHandler,
    GetSurgeCellsHandler,
    MatcherService,
    FareSettlerService,
    TaxiLiveService,
    TaxiResolver,
    TaxiLiveResolver,
  ],
})
export class TaxiModule {}
