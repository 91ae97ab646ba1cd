import { EventEnvelope } from './envelope';

/** Returns the reasons a payload is invalid, empty when it is valid. */
export type PayloadValidator = (data: unknown) => string[];
/** Turns a payload at version v into version v + 1. */
export type Upcaster = (data: any) => any;

/** One event type an application registers: wire name, current schema, validation, upcasters. */
export interface EventTypeDefinition {
  /** Stable wire name, e.g. "social.PostLiked". Never renamed. */
  type: string;
  /** Current schema version. @default 1 */
  schemaVersion?: number;
  validate?: PayloadValidator;
  /** upcasters[v] turns version v into v + 1. */
  upcasters?: Record<number, Upcaster>;
}

/** Thrown for an event type the registry does not know: a bug in the application, never bad input (500). */
export class UnknownEventType extends Error {
  override name = 'UnknownEventType';
}

/** A payload failed its type's validation before an append; nothing was stored (400). */
export class InvalidEventPayload extends Error {
  override name = 'InvalidEventPayload';
}

/** The event types an application knows: validation on write, upcasting on read. */
export class EventRegistry {
  private readonly types = new Map<string, Required<EventTypeDefinition>>();

  register(...definitions: EventTypeDefinition[]): this {
    for (const d of definitions) {
      if (this.types.has(d.type)) throw new Error(`event type ${d.type} is registered twice`);
      this.types.set(d.type, { schemaVersion: 1, validate: () => [], upcasters: {}, ...d });
    }
    return this;
  }

  has(type: string): boolean {
    return this.types.has(type);
  }

  currentVersion(type: string): number {
    return this.definition(type).schemaVersion;
  }

  /** Throws InvalidEventPayload naming every problem; used before an append. */
  validate(type: string, data: unknown): void {
    const problems = this.definition(type).validate(data);
    if (problems.length > 0) throw new InvalidEventPayload(`${type}: ${problems.join('; ')}`);
  }

  /** Brings an envelope from its stored schema version to the current one. */
  upcast<E extends EventEnvelope>(envelope: E): E {
    const def = this.types.get(envelope.type);
    if (!def || envelope.schemaVersion >= def.schemaVersion) return envelope;
    let data = envelope.data;
    for (let v = envelope.schemaVersion; v < def.schemaVersion; v++) {
      const up = def.upcasters[v];
      if (!up) throw new Error(`${envelope.type}: no upcaster from schema version ${v}`);
      data = up(data);
    }
    return { ...envelope, data, schemaVersion: def.schemaVersion };
  }

  private definition(type: string): Required<EventTypeDefinition> {
    const def = this.types.get(type);
    if (!def) throw new UnknownEventType(`unknown event type ${type}`);
    return def;
  }
}
