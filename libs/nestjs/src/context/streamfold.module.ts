import { DynamicModule, Module, Type } from '@nestjs/common';
import type { ContextDefinition } from './context';
import { assertDistinctContexts } from './context';

/** Injection token of the one context a feature module registered. */
export const STREAMFOLD_CONTEXT = Symbol('STREAMFOLD_CONTEXT');
/** Injection token of every context the application hosts (`ContextDefinition[]`). */
export const STREAMFOLD_CONTEXTS = Symbol('STREAMFOLD_CONTEXTS');

const CONTEXT_OF = Symbol('streamfold:context');

/** The module `forFeature` returns: one per context. */
@Module({})
export class StreamfoldFeatureModule {}

/**
 * The entry point of a bounded context into Streamfold. A context's own Nest module imports
 * `StreamfoldModule.forFeature(context)`; the host imports the context's module and nothing
 * else, and `startServer` / `runCli` find every registered context by walking the host's
 * imports, before Nest starts (topics and migrations must exist before consumers run).
 */
@Module({})
export class StreamfoldModule {
  /** Registers one bounded context (its events, topics, routing, projections, processors ...). */
  static forFeature(context: ContextDefinition): DynamicModule {
    const module: DynamicModule & { [CONTEXT_OF]?: ContextDefinition } = {
      module: StreamfoldFeatureModule,
      providers: [{ provide: STREAMFOLD_CONTEXT, useValue: context }],
      exports: [STREAMFOLD_CONTEXT],
    };
    Object.defineProperty(module, CONTEXT_OF, { value: context, enumerable: false });
    return module;
  }
}

type ModuleRef = Type<unknown> | DynamicModule | Promise<DynamicModule> | { forwardRef(): unknown } | undefined;

/**
 * Every context registered with `StreamfoldModule.forFeature` anywhere under `root`, in import
 * order, each once. Throws a one-line StartupError when two claim the same topic, event type,
 * stream prefix, projection or table.
 */
export function collectContexts(root: Type<unknown> | DynamicModule): ContextDefinition[] {
  const found: ContextDefinition[] = [];
  const seen = new Set<unknown>();
  const visit = (ref: ModuleRef): void => {
    if (!ref || seen.has(ref) || ref instanceof Promise) return;
    seen.add(ref);
    if (typeof ref === 'object' && 'forwardRef' in ref) return visit(ref.forwardRef() as ModuleRef);
    if (typeof ref === 'object' && 'module' in ref) {
      const context = (ref as { [CONTEXT_OF]?: ContextDefinition })[CONTEXT_OF];
      if (context && !found.includes(context)) found.push(context);
      (ref.imports ?? []).forEach((i) => visit(i as ModuleRef));
      return visit(ref.module);
    }
    const imports: ModuleRef[] = Reflect.getMetadata('imports', ref) ?? [];
    imports.forEach(visit);
  };
  visit(root);
  assertDistinctContexts(found);
  return found;
}
