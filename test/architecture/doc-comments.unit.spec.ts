import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

// Every declaration a package exports is part of its contract, so it carries a doc comment
// (a JSDoc block with text, not only tags). The ports adapters implement carry more: their
// contract (ordering, idempotency, what a caller must retry), checked here only by length.
const ROOT = resolve(__dirname, '../..');
const LIBS = join(ROOT, 'libs');
const PORTS = ['EventStore', 'CommandLookup', 'LagAware', 'MessageLog', 'Sql', 'Database', 'ProcessorStateStore', 'RelayLeases', 'RelayLease'];
const CONTRACT_MIN_CHARS = 80;

const KINDS = new Set([
  ts.SyntaxKind.InterfaceDeclaration,
  ts.SyntaxKind.TypeAliasDeclaration,
  ts.SyntaxKind.ClassDeclaration,
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.VariableDeclaration,
  ts.SyntaxKind.EnumDeclaration,
]);

interface Exported {
  pkg: string;
  name: string;
  file: string;
  doc: string | undefined;
}

function compilerOptions(): ts.CompilerOptions {
  const path = join(ROOT, 'tsconfig.json');
  const { config } = ts.readConfigFile(path, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, path);
  return { ...options, noEmit: true, incremental: false, tsBuildInfoFile: undefined };
}

/** The text of the declaration's JSDoc blocks (tags alone do not count), or undefined. */
function docOf(decl: ts.Declaration): string | undefined {
  const text = ts
    .getJSDocCommentsAndTags(decl)
    .filter(ts.isJSDoc)
    .map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '')
    .join('\n')
    .trim();
  return text.length > 0 ? text : undefined;
}

function publicSurface(): Exported[] {
  const packages = readdirSync(LIBS).sort();
  const indexes = packages.map((pkg) => join(LIBS, pkg, 'src', 'index.ts'));
  const program = ts.createProgram(indexes, compilerOptions());
  const checker = program.getTypeChecker();
  const seen = new Set<string>();
  const out: Exported[] = [];
  // `export * as ns from './x'` publishes x's exports as ns.name: they are checked like the rest.
  const collect = (module: ts.Symbol, prefix: string, pkg: string): void => {
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const name = prefix + exported.name;
      if ((symbol.declarations ?? []).some(ts.isSourceFile)) {
        collect(symbol, `${name}.`, pkg);
        continue;
      }
      // Declarations in this repository's libs only (re-exports of npm packages are theirs).
      const decls = (symbol.declarations ?? []).filter(
        (d) => KINDS.has(d.kind) && d.getSourceFile().fileName.startsWith(LIBS + '/'),
      );
      if (decls.length === 0) continue;
      // Attribute a declaration to the package whose folder holds it (once, even if re-exported).
      const file = relative(ROOT, decls[0].getSourceFile().fileName);
      const key = `${file}#${name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const docs = decls.map(docOf).filter((d): d is string => d !== undefined);
      out.push({ pkg: file.split('/')[1] ?? pkg, name, file, doc: docs.length > 0 ? docs.join('\n') : undefined });
    }
  };
  for (const [i, pkg] of packages.entries()) {
    const source = program.getSourceFile(indexes[i]);
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`cannot load ${relative(ROOT, indexes[i])}`);
    collect(module, '', pkg);
  }
  return out;
}

describe('doc comments on the public surface of libs/', () => {
  const surface = publicSurface();

  it('finds the exported declarations of every package', () => {
    const packages = new Set(surface.map((e) => e.pkg));
    expect([...packages].sort()).toEqual(readdirSync(LIBS).sort());
    expect(surface.length).toBeGreaterThan(200);
  });

  it('gives every exported declaration a doc comment', () => {
    const missing = surface.filter((e) => e.doc === undefined).map((e) => `${e.pkg}: ${e.name} (${e.file})`);
    expect(missing).toEqual([]);
  });

  it('states the contract of each port', () => {
    const thin = PORTS.flatMap((port) => {
      const found = surface.filter((e) => e.name === port);
      if (found.length === 0) return [`${port}: not exported`];
      return found
        .filter((e) => (e.doc ?? '').length <= CONTRACT_MIN_CHARS)
        .map((e) => `${e.pkg}: ${e.name} (${e.file}): ${(e.doc ?? '').length} characters`);
    });
    expect(thin).toEqual([]);
  });
});
