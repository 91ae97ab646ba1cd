export { SocialModule } from './social.module';
export { socialContext } from './social.context';
