export { TaxiModule } from './taxi.module';
export { taxiContext } from './taxi.context';
