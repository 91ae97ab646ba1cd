import { Module } from '@nestjs/common';
import { BankModule } from '../../bank/src';
import { MovieflixModule } from '../../movieflix/src';
import { OpsModule } from '../../ops/src';
import { SocialModule } from '../../social/src';
import { TaxiModule } from '../../taxi/src';
import { DashboardModule } from './dashboard/dashboard.module';

/**
 * The whole system in one process (the default `npm start`): one import per bounded context,
 * and the host's own dashboard page at `/`.
 * Each context registers itself with StreamfoldModule.forFeature in its own module; the
 * framework discovers it from here (routing, topics, migrations, projections, CLI, admin API).
 */
@Module({ imports: [SocialModule, MovieflixModule, TaxiModule, BankModule, OpsModule, DashboardModule] })
export class AppModule {}
