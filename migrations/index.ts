import type { MigrationClass } from '@streamfold/runtime';

/**
 * Migrations of this repository's host that belong to no bounded context (none yet). The
 * framework's own schema ships in @streamfold/runtime (FRAMEWORK_MIGRATIONS) and each context
 * declares its own in `defineContext({ migrations })`; the host runs framework, host, then
 * context migrations, discovered from the contexts it imports.
 */
export const HOST_MIGRATIONS: MigrationClass[] = [];
