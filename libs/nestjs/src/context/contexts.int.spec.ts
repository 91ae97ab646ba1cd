import { Module } from '@nestjs/common';
import { loadConfig, StartupError } from '@streamfold/runtime';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../bootstrap/server';
import { ContextDefinition, defineContext } from './context';
import { collectContexts, StreamfoldModule } from './streamfold.module';

const context = (name: string, overrides: Partial<ContextDefinition> = {}): ContextDefinition =>
  defineContext({
    name,
    events: [{ type: `${name}.Happened` }],
    streams: [name],
    topics: [{ name: `${name}_events`, partitions: 1 }],
    route: () => null,
    projections: [],
    ...overrides,
  });

function host(...contexts: ContextDefinition[]) {
  const modules = contexts.map((c) => {
    @Module({ imports: [StreamfoldModule.forFeature(c)] })
    class ContextModule {}
    return ContextModule;
  });
  @Module({ imports: modules })
  class Host {}
  return Host;
}

describe('contexts plugging into a host', () => {
  it('are discovered through the host module imports, each once, in import order', () => {
    const a = context('alpha');
    const b = context('beta');
    @Module({ imports: [host(a, b), host(a)] })
    class Outer {}
    expect(collectContexts(Outer).map((c) => c.name)).toEqual(['alpha', 'beta']);
  });

  it.each([
    ['topic', { topics: [{ name: 'comments', partitions: 1 }] }, 'topic "comments" is declared by both context feed and context blog'],
    ['event type', { events: [{ type: 'shared.Commented' }] }, 'event type "shared.Commented" is declared by both context feed and context blog'],
    ['stream prefix', { streams: ['comment'] }, 'stream prefix "comment" is declared by both context feed and context blog'],
  ])('refuse to start when two declare the same %s, naming both owners in one line', async (_what, clash, message) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sf-contexts-'));
    try {
      const boot = startServer(host(context('feed', clash), context('blog', clash)), { config: loadConfig({ DATA_DIR: dataDir, PORT: '0' }), logger: false });
      await expect(boot).rejects.toThrow(new StartupError(message));
      await expect(boot).rejects.toBeInstanceOf(StartupError);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuse two projections or read-model tables of the same name', () => {
    const projection = (name: string, table: string) => ({ name, kind: 'projection' as const, topics: ['x'], tables: [table], setup: async () => {}, apply: async () => {} });
    expect(() => collectContexts(host(context('a', { projections: [projection('counts', 't1')] }), context('b', { projections: [projection('counts', 't2')] })))).toThrow(
      'projection "counts" is declared by both context a and context b',
    );
    expect(() => collectContexts(host(context('a', { projections: [projection('p1', 'totals')] }), context('b', { projections: [projection('p2', 'totals')] })))).toThrow(
      'table "totals" is declared by both context a and context b',
    );
  });

  it('check a definition on its own: a name the CLI can use, projections that read something', () => {
    expect(() => context('Bad Name')).toThrow(/context Bad Name: name must be lower-case/);
    expect(() => context('ok', { projections: [{ name: 'p', kind: 'projection', topics: [], tables: [], setup: async () => {}, apply: async () => {} }] })).toThrow(
      'context ok: p reads no topic',
    );
  });
});
