import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// The framework as a user outside this repository gets it: `npm pack` of every package into a
// folder, installed into a tiny project (test/packaging/consumer) that type-checks against the
// published declarations and runs a decider with the testing kit, a projection on the embedded
// log, and a Nest module booted on the embedded default.
const ROOT = resolve(__dirname, '../..');
const ROOT_PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const PEERS = ['@nestjs/common', '@nestjs/core', '@nestjs/cqrs', '@nestjs/microservices', '@nestjs/platform-express', '@nestjs/swagger', '@nestjs/throttler', 'reflect-metadata', 'rxjs'];

const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });

describe('a consumer outside the tree', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sf-outside-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('installs the packed packages and runs on them', () => {
    run('npx', ['tsc', '-b', 'tsconfig.build.json'], ROOT); // packages ship their built dist/
    const packs = join(dir, 'packs');
    mkdirSync(packs);
    // The framework's packages (libs/); the host's generated API client is not part of it.
    const libs = readdirSync(join(ROOT, 'libs'));
    run('npm', ['pack', ...libs.flatMap((l) => ['--workspace', `libs/${l}`]), '--pack-destination', packs, '--silent'], ROOT);
    const tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz'));
    expect(tarballs.map((t) => t.replace(/-\d+\.\d+\.\d+\.tgz$/, '')).sort()).toEqual(
      readdirSync(join(ROOT, 'libs')).map((l) => `streamfold-${l}`).sort(),
    );
    const listing = run('tar', ['-tzf', join(packs, tarballs.find((t) => t.startsWith('streamfold-core'))!)], dir);
    expect(listing).toMatch(/package\/dist\/index\.d\.ts/);
    expect(listing).not.toMatch(/package\/src\//);

    const app = join(dir, 'app');
    cpSync(join(__dirname, 'consumer'), app, { recursive: true });
    const dependencies: Record<string, string> = {};
    for (const t of tarballs) dependencies[`@streamfold/${t.replace(/^streamfold-/, '').replace(/-\d+\.\d+\.\d+\.tgz$/, '')}`] = `file:../packs/${t}`;
    for (const p of PEERS) dependencies[p] = ROOT_PKG.dependencies[p];
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'outside-consumer', private: true, dependencies }, null, 2));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], app);
    // Nothing resolves back into this repository: the packages are real copies.
    expect(readdirSync(join(app, 'node_modules/@streamfold')).sort()).toEqual(readdirSync(join(ROOT, 'libs')).sort());

    run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
    const output = run(process.execPath, ['dist/main.js'], app);
    expect(output).toContain('ok - decider given/when/then with the testing kit');
    expect(output).toContain('ok - projection on the embedded log applies each event once (total 6)');
    expect(output).toContain('ok - relay, embedded log and projection carried it to the read model');
    expect(output.trim().split('\n').pop()).toBe('ALL OK');
  }, 420_000);
});
