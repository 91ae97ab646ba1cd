import { Framework1764100000000 } from './1764100000000-framework';
import { StreamLastWriter1764200000000 } from './1764200000000-stream-last-writer';
import { CommandInputHash1764300000000 } from './1764300000000-command-input-hash';

/** Every migration, in order. Listed explicitly so compiled and ts-jest runs load the same set. */
export const MIGRATIONS = [Framework1764100000000, StreamLastWriter1764200000000, CommandInputHash1764300000000];
