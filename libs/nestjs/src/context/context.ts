import type { EventEnvelope, EventTypeDefinition } from '@streamfold/core';
import type { TopicSpec } from '@streamfold/messaging';
import type { ProjectionDefinition } from '@streamfold/projections';
import type { MigrationClass } from '@streamfold/runtime';
import { StartupError } from '@streamfold/runtime';
import type { Type } from '@nestjs/common';
import type { SimulatorDefinition } from './simulator';

/** Where the relay publishes an event: its topic and partitioning key; null when the context does not own it. */
export type EventRoute = { topic: string; key: string } | null;

/**
 * Everything a bounded context brings to a Streamfold process, declared once in its own folder
 * and registered by importing `StreamfoldModule.forFeature(context)` in the context's Nest module.
 * The host then discovers it: relay routing, topic setup, migrations, projection runners, the
 * CLI (projections, dead letters, simulators) and the admin API.
 */
export interface ContextDefinition {
  /** Short unique name, e.g. "social"; the CLI's `simulate <name>` uses it. */
  name: string;
  /**
   * One sentence on what the context does: the description of its tag (named `name`) in the
   * OpenAPI document, where its controllers group with `@ApiTags(name)`. @default none
   */
  description?: string;
  /** Event types with their schema versions, validators and upcasters (wire names never change). */
  events: EventTypeDefinition[];
  /**
   * Prefixes of the stream ids this context writes (`post` for `post-<id>`). Two contexts may
   * not share one: a stream has one owner.
   */
  streams: string[];
  /** Topics it publishes to, with partitions and retention. Names are global on the broker. */
  topics: TopicSpec[];
  /** Topic and key of each of its events; null for events it does not own. */
  route(envelope: EventEnvelope): EventRoute;
  /** Read models (kind 'projection') and processors (kind 'processor'), run exactly once each. */
  projections: ProjectionDefinition[];
  /** Its own schema, run after the framework's migrations. @default [] */
  migrations?: MigrationClass[];
  /** Realistic traffic for `cli simulate <name>`. @default none */
  simulator?: SimulatorDefinition;
  /**
   * The context's own CLI commands (nest-commander `@Command` classes, e.g. `movieflix evaluate`),
   * added to `runCli`. They may inject `CliInfrastructure` to open the database and log. @default []
   */
  commands?: Array<Type<unknown>>;
}

/** Declares a bounded context; throws naming what is inconsistent in it. */
export function defineContext<C extends ContextDefinition>(context: C): C {
  const problems = internalProblems(context);
  if (problems.length > 0) throw new Error(`context ${context.name}: ${problems.join('; ')}`);
  return context;
}

function internalProblems(c: ContextDefinition): string[] {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9_-]*$/.test(c.name)) problems.push(`name must be lower-case letters, digits, "_" or "-", got "${c.name}"`);
  for (const p of c.projections) if (p.topics.length === 0) problems.push(`${p.name} reads no topic`);
  return problems;
}

type Owned = { what: string; key: (c: ContextDefinition) => string[] };

const OWNED: Owned[] = [
  { what: 'topic', key: (c) => c.topics.map((t) => t.name) },
  { what: 'event type', key: (c) => c.events.map((e) => e.type) },
  { what: 'stream prefix', key: (c) => c.streams },
  { what: 'projection', key: (c) => c.projections.map((p) => p.name) },
  { what: 'table', key: (c) => c.projections.flatMap((p) => p.tables) },
];

/**
 * Refuses a set of contexts in which two claim the same name, topic, event type, stream prefix,
 * projection or table: throws a StartupError with one line naming both owners.
 */
export function assertDistinctContexts(contexts: readonly ContextDefinition[]): void {
  const names = new Map<string, number>();
  contexts.forEach((c) => names.set(c.name, (names.get(c.name) ?? 0) + 1));
  const twice = [...names].find(([, n]) => n > 1);
  if (twice) throw new StartupError(`context name "${twice[0]}" is registered twice`);
  for (const { what, key } of OWNED) {
    const owners = new Map<string, string>();
    for (const c of contexts) {
      for (const k of new Set(key(c))) {
        const owner = owners.get(k);
        if (owner) throw new StartupError(`${what} "${k}" is declared by both context ${owner} and context ${c.name}`);
        owners.set(k, c.name);
      }
    }
  }
}

/** The relay's routing over every context: the one that owns the event type decides topic and key. */
export function contextRouter(contexts: readonly ContextDefinition[]): (envelope: EventEnvelope) => EventRoute {
  const owner = new Map<string, ContextDefinition>();
  for (const c of contexts) for (const e of c.events) owner.set(e.type, c);
  return (envelope) => owner.get(envelope.type)?.route(envelope) ?? null;
}

/** Every projection and processor of the given contexts. */
export function allProjections(contexts: readonly ContextDefinition[]): ProjectionDefinition[] {
  return contexts.flatMap((c) => c.projections);
}

/** Every topic of the given contexts. */
export function allTopics(contexts: readonly ContextDefinition[]): TopicSpec[] {
  return contexts.flatMap((c) => c.topics);
}

/** Every context's own migrations, after one another. */
export function allMigrations(contexts: readonly ContextDefinition[]): MigrationClass[] {
  return contexts.flatMap((c) => c.migrations ?? []);
}
