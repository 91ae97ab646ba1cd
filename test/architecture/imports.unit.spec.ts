import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

// The package boundaries of docs/architecture.md, checked on every build: a package reaches
// another only through its published index (`@streamfold/<name>`), never into its files, and
// the framework never imports an application.
const ROOT = resolve(__dirname, '../..');
// Import and export declarations (possibly spanning lines), side-effect imports and require().
const IMPORT = /^\s*(?:import|export)\s[^;'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)/gm;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** The top folder (`libs/core`, `apps/social` ...) a path belongs to. */
function unitOf(path: string): string {
  return relative(ROOT, path).split(sep).slice(0, 2).join('/');
}

describe('package boundaries', () => {
  const files = [...sources(join(ROOT, 'libs')), ...sources(join(ROOT, 'apps'))];

  it('finds the sources', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it('reaches other packages only through @streamfold/<name>, and libs never import apps', () => {
    const violations: string[] = [];
    for (const file of files) {
      const unit = unitOf(file);
      for (const spec of importsOf(file)) {
        if (/^@streamfold\/[^/]+\/./.test(spec)) violations.push(`${relative(ROOT, file)}: deep import ${spec}`);
        if (!spec.startsWith('.')) continue;
        const target = unitOf(resolve(file, '..', spec));
        if (target === unit) continue;
        if (unit.startsWith('libs/')) violations.push(`${relative(ROOT, file)}: imports ${spec} outside its package`);
        // An app may use another app only through that app's index (the host imports context modules).
        else if (!/\/src$/.test(spec) && !/\/src\/index$/.test(spec) && target.startsWith('apps/')) violations.push(`${relative(ROOT, file)}: reaches into ${spec}`);
        else if (target.startsWith('libs/')) violations.push(`${relative(ROOT, file)}: imports framework files ${spec} instead of @streamfold/*`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps NestJS out of the core packages', () => {
    const core = files.filter((f) => /libs\/(core|messaging|runtime|eventstore|projections)\/src\//.test(f) && !f.endsWith('.spec.ts'));
    const nest = core.filter((f) => importsOf(f).some((s) => s.startsWith('@nestjs/')));
    expect(nest.map((f) => relative(ROOT, f))).toEqual([]);
  });

  it('declares every imported npm package in the importing package.json', () => {
    const missing: string[] = [];
    for (const lib of readdirSync(join(ROOT, 'libs'))) {
      const pkg = JSON.parse(readFileSync(join(ROOT, 'libs', lib, 'package.json'), 'utf8'));
      const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
      for (const file of sources(join(ROOT, 'libs', lib, 'src')).filter((f) => !f.endsWith('.spec.ts'))) {
        for (const spec of importsOf(file)) {
          if (spec.startsWith('.') || spec.startsWith('node:')) continue;
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
          if (!declared.has(name)) missing.push(`${lib}: ${name} (${relative(ROOT, file)})`);
        }
      }
    }
    expect([...new Set(missing)]).toEqual([]);
  });
});
