import { Framework1764100000000 } from './1764100000000-framework';
import { StreamLastWriter1764200000000 } from './1764200000000-stream-last-writer';
import { CommandInputHash1764300000000 } from './1764300000000-command-input-hash';
import { ReactionReceipts1764400000000 } from './1764400000000-reaction-receipts';
import { DatabaseHorizon1764500000000 } from './1764500000000-database-horizon';
import { NoEventsTransactions1764600000000 } from './1764600000000-no-events-transactions';

export * from './runner';
export { CommandInputHash1764300000000, DatabaseHorizon1764500000000, Framework1764100000000, NoEventsTransactions1764600000000, ReactionReceipts1764400000000, StreamLastWriter1764200000000 };

/**
 * The framework's own schema (event store, relay leases, checkpoints, projection versions,
 * processor state, dead letters, command input hashes, reaction receipts, the relay's horizon function, the no-events transactions it leaves out), in order. Contexts add theirs after these.
 */
export const FRAMEWORK_MIGRATIONS = [Framework1764100000000, StreamLastWriter1764200000000, CommandInputHash1764300000000, ReactionReceipts1764400000000, DatabaseHorizon1764500000000, NoEventsTransactions1764600000000];
