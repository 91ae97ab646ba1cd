import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The core banking schema script (scripts/corebank/schema.sql), the same one
 * scripts/corebank-pg.sh applies to the bank's own cluster. Found by walking up from this file,
 * so it works from the sources (tests) and from dist/ alike.
 */
export function coreSchemaSql(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'scripts', 'corebank', 'schema.sql');
    if (existsSync(candidate)) return readFileSync(candidate, 'utf8');
    if (dirname(dir) === dir) throw new Error('scripts/corebank/schema.sql not found above ' + __dirname);
  }
}
