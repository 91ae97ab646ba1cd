import { SetMetadata } from '@nestjs/common';

/** Metadata key of routes that need no bearer token (read by the auth guard in @streamfold/auth). */
export const PUBLIC_ROUTE = 'streamfold:public';
/** Marks a route (or controller) readable without a token. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
