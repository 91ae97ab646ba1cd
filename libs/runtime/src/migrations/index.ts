import { Framework1764100000000 } from './1764100000000-framework';
import { StreamLastWriter1764200000000 } from './1764200000000-stream-last-writer';
import { ReactionReceipts1764300000000 } from './1764300000000-reaction-receipts';

export * from './runner';
export { Framework1764100000000, ReactionReceipts1764300000000, StreamLastWriter1764200000000 };

/**
 * The framework's own schema (event store, relay leases, checkpoints, projection versions,
 * processor state, dead letters, reaction receipts), in order. Contexts add theirs after these.
 */
export const FRAMEWORK_MIGRATIONS = [Framework1764100000000, StreamLastWriter1764200000000, ReactionReceipts1764300000000];
