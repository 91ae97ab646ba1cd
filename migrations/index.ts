import { Framework1764100000000 } from './1764100000000-framework';

/** Every migration, in order. Listed explicitly so compiled and ts-jest runs load the same set. */
export const MIGRATIONS = [Framework1764100000000];
