import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/**
 * The OpenAPI document the host serves at /docs-json with every context loaded, written to `file`
 * and returned. Builds first (incremental `tsc -b`, as `npm run build`) so the document is that of
 * the sources under test, then boots the build in a child process (scripts/openapi-document.js):
 * the embedded PostgreSQL cannot start inside jest's VM.
 */
export function servedOpenApiDocument(file: string): Record<string, any> {
  execFileSync('npx', ['tsc', '-b', 'tsconfig.build.json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'openapi-document.js'), file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  return JSON.parse(readFileSync(file, 'utf8'));
}
