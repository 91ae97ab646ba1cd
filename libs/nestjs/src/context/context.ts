import type { Type } from '@nestjs/common';
import type { EventEnvelope, EventTypeDefinition } from '@streamfold/core';
import type { TopicSpec } from '@streamfold/messaging';
import type { ProjectionDefinition } from '@streamfold/projections';
import type { MigrationClass } from '@streamfold/runtime';
import { StartupError } from '@streamfold/runtime';
import type { IngestStream, LakeNamedQuery, LakeSchemas } from '@streamfold/sink';
import { declaredColumns } from '@streamfold/sink';
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
   * The context's own CLI commands: nest-commander `@Command` / `@SubCommand` classes (list the
   * sub-commands too: each class is a provider). The CLI registers them beside the framework's,
   * so `cli <command>` works with no change to the host. They may inject `CliInfrastructure`
   * (database and log, opened on first use) and `STREAMFOLD_CONTEXTS`; a name the framework or
   * another context already uses stops the CLI with one line. @default []
   */
  commands?: Array<Type<unknown>>;
  /**
   * Typed lake columns per event type of this context, read from the event's data beside the
   * JSON `data` column, e.g. `{ 'social.PostLiked': { postId: 'VARCHAR' } }`. Declared here rather
   * than on the event types so domain files stay free of storage concerns. @default {}
   */
  lakeSchemas?: LakeSchemas;
  /**
   * Named, parameterised SQL over the lake, served to admins at `POST /admin/lake/queries/:name`
   * (no free SQL over HTTP). Names are global across contexts. @default []
   */
  lakeQueries?: LakeNamedQuery[];
  /**
   * Streams accepted by `POST /ingest/:stream` (authenticated batches of JSON records, validated,
   * produced to `topic` through the telemetry producer). Each topic must be one of `topics`;
   * stream names are global across contexts. @default {}
   */
  ingest?: Record<string, IngestStream>;
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
  const own = new Set(c.events.map((e) => e.type));
  for (const type of Object.keys(c.lakeSchemas ?? {})) if (!own.has(type)) problems.push(`lakeSchemas names ${type}, not one of its event types`);
  try {
    declaredColumns(c.lakeSchemas);
  } catch (error) {
    problems.push((error as Error).message);
  }
  const topics = new Set(c.topics.map((t) => t.name));
  for (const [name, stream] of Object.entries(c.ingest ?? {})) {
    if (!topics.has(stream.topic)) problems.push(`ingest stream ${name} writes to ${stream.topic}, not one of its topics`);
  }
  return problems;
}

type Owned = { what: string; key: (c: ContextDefinition) => string[] };

const OWNED: Owned[] = [
  { what: 'topic', key: (c) => c.topics.map((t) => t.name) },
  { what: 'event type', key: (c) => c.events.map((e) => e.type) },
  { what: 'stream prefix', key: (c) => c.streams },
  { what: 'projection', key: (c) => c.projections.map((p) => p.name) },
  { what: 'table', key: (c) => c.projections.flatMap((p) => p.tables) },
  { what: 'lake query', key: (c) => (c.lakeQueries ?? []).map((q) => q.name) },
  { what: 'ingest stream', key: (c) => Object.keys(c.ingest ?? {}) },
];

/**
 * Refuses a set of contexts in which two claim the same name, topic, event type, stream prefix,
 * projection, table, lake query or ingest stream: throws a StartupError with one line naming both owners.
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

/**
 * Every context's lake columns in one map: the sink writes them into every file it writes, so a
 * column two contexts declare with different types stops the boot (StartupError, one line).
 */
export function allLakeSchemas(contexts: readonly ContextDefinition[]): LakeSchemas {
  const all: LakeSchemas = Object.assign({}, ...contexts.map((c) => c.lakeSchemas ?? {}));
  try {
    declaredColumns(all);
  } catch (error) {
    throw new StartupError(`lake schemas: ${(error as Error).message}`);
  }
  return all;
}

/** Every context's named lake queries. */
export function allLakeQueries(contexts: readonly ContextDefinition[]): LakeNamedQuery[] {
  return contexts.flatMap((c) => c.lakeQueries ?? []);
}

/** Every context's ingestion streams by name (names are distinct: assertDistinctContexts). */
export function allIngestStreams(contexts: readonly ContextDefinition[]): Record<string, IngestStream> {
  return Object.assign({}, ...contexts.map((c) => c.ingest ?? {}));
}
