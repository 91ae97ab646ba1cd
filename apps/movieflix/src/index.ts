export { MovieflixModule } from './movieflix.module';
export { movieflixContext } from './movieflix.context';
