import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { servedOpenApiDocument } from './openapi-document';

// The REST contract as a client developer meets it (issue 18): the document the host serves,
// linted with Redocly's recommended ruleset (config and any exception in redocly.yaml), plus the
// conventions of docs/contexts.md that no generic rule knows.
const ROOT = resolve(__dirname, '../..');
const REDOCLY = join(ROOT, 'node_modules', '.bin', 'redocly');

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }>;
}
type Operation = { operationId?: string; summary?: string; tags?: string[]; security?: unknown[]; responses: Record<string, any>; parameters?: Array<{ name: string; in: string }> };

describe('the OpenAPI document of the host with every context', () => {
  let document: Record<string, any>;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sf-openapi-lint-'));
    document = servedOpenApiDocument(join(dir, 'openapi.json'));
  }, 420_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const operations = (): Array<[string, Operation]> =>
    Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as [string, Operation]),
    );

  it('passes Redocly’s recommended ruleset with 0 errors and 0 warnings', async () => {
    const file = join(dir, 'openapi.json');
    // Exit code 1 on errors: the JSON report on stdout says which, so read it either way.
    const { stdout } = await promisify(execFile)(REDOCLY, ['lint', file, '--extends', 'recommended', '--config', join(ROOT, 'redocly.yaml'), '--format', 'json'], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(stdout) as LintReport;
    const problems = report.problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} (${p.location[0]?.pointer})`);
    console.log(`redocly lint (recommended): ${report.totals.errors} errors, ${report.totals.warnings} warnings, ${report.totals.ignored} ignored; ${operations().length} operations`);
    expect(problems).toEqual([]);
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
  }, 120_000);

  it('names every operation for a generated client and tags it with its context', () => {
    const ids = operations().map(([, op]) => op.operationId);
    expect(ids.filter((id) => !/^[a-z][A-Za-z]+$/.test(id ?? ''))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    const tags = new Set((document.tags as Array<{ name: string }>).map((t) => t.name));
    expect(operations().filter(([, op]) => !op.summary || op.tags?.length !== 1 || !tags.has(op.tags[0])).map(([k]) => k)).toEqual([]);
  });

  it('requires the one bearer scheme unless an operation says it is public', () => {
    expect(document.components.securitySchemes).toEqual({ bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }) });
    expect(document.security).toEqual([{ bearer: [] }]);
    const publicOps = operations().filter(([, op]) => Array.isArray(op.security) && op.security.length === 0).map(([k]) => k);
    // @ApiRead({ public: true }) applies @Public() and `security: []` together, so these agree with the guard.
    expect(publicOps).toEqual(
      expect.arrayContaining(['GET /health', 'GET /social/feed', 'GET /social/posts/{postId}', 'GET /social/posts/{postId}/live', 'GET /social/trending']),
    );
    expect(publicOps.filter((k) => k.includes('/admin/'))).toEqual([]);
    // Writes are never public: every command has an actor.
    expect(publicOps.filter((k) => !k.startsWith('GET '))).toEqual([]);
  });

  it('documents the errors of every operation with the one ApiError body, and Retry-After where it applies', () => {
    const ref = { $ref: '#/components/schemas/ApiError' };
    const wrong: string[] = [];
    for (const [key, op] of operations()) {
      const errors = Object.entries(op.responses).filter(([status]) => Number(status) >= 400);
      if (!errors.some(([status]) => Number(status) < 500)) wrong.push(`${key}: no 4xx`);
      for (const [status, response] of errors) {
        // /health answers 503 with Terminus's per-dependency report, on purpose (health.dto.ts).
        if (key === 'GET /health' && status === '503') continue;
        if (JSON.stringify(response.content?.['application/json']?.schema) !== JSON.stringify(ref)) wrong.push(`${key} ${status}: not ApiError`);
        if ((status === '429' || status === '503') && !response.headers?.['Retry-After']) wrong.push(`${key} ${status}: no Retry-After`);
      }
      if (key !== 'GET /health' && !errors.some(([s]) => s === '401')) wrong.push(`${key}: no 401`);
      if (!key.startsWith('GET ') && !errors.some(([s]) => s === '429')) wrong.push(`${key}: a write without 429`);
    }
    expect(wrong).toEqual([]);
    expect(document.components.schemas.ApiError.required.sort()).toEqual(['error', 'message', 'statusCode']);
  });

  it('declares Idempotency-Key once on the writes that honour it', () => {
    const keyed = operations()
      .filter(([, op]) => (op.parameters ?? []).some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key'))
      .map(([k, op]) => `${k} x${(op.parameters ?? []).filter((p) => p.name.toLowerCase() === 'idempotency-key').length}`);
    expect(keyed.sort()).toEqual(['POST /social/posts x1', 'POST /social/posts/{postId}/comments x1']);
  });
});
