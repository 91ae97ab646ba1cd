import { Module } from '@nestjs/common';
import { DashboardPageController } from './dashboard-page.controller';

/** The host's dashboard page and its files (the data it shows comes from the framework and the contexts). */
@Module({ controllers: [DashboardPageController] })
export class DashboardModule {}
