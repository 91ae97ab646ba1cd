import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { servedOpenApiDocument } from './openapi-document';

// @streamfold/client's types are checked in (apps/client/src/schema.ts) so that apps and tests
// compile against them without a server. This keeps them honest: a change of an endpoint that the
// checked-in client does not match fails here, and `npm run client:generate` is the fix.
const ROOT = resolve(__dirname, '../..');

describe('the generated client @streamfold/client', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'sf-client-check-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('matches the OpenAPI document the host serves', async () => {
    const file = join(dir, 'openapi.json');
    servedOpenApiDocument(file);
    const check = await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'client-generate.js'), '--check', '--from', file], { cwd: ROOT }).then(
      () => 'in sync',
      (error: { stderr?: string }) => error.stderr ?? String(error),
    );
    expect(check).toBe('in sync');
  }, 420_000);
});
