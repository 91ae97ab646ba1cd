// A bounded context written by someone outside the Streamfold repository, against the packed packages only.
import { assertNever, Decider, DomainEvent, RuleViolated } from '@streamfold/core';
import { defineProjection } from '@streamfold/projections';

export type Incremented = DomainEvent<'demo.Incremented', { counterId: string; by: number }>;
export type Reset = DomainEvent<'demo.Reset', { counterId: string }>;
export type CounterEvent = Incremented | Reset;
export type CounterCommand = { type: 'Increment'; counterId: string; by: number } | { type: 'Reset'; counterId: string };
export type CounterState = { status: 'empty' } | { status: 'counting'; total: number };

export const counterDecider: Decider<CounterCommand, CounterEvent, CounterState> = {
  initialState: () => ({ status: 'empty' }),
  decide(command, state) {
    switch (command.type) {
      case 'Increment':
        if (command.by <= 0) throw new RuleViolated('not_positive', 'by must be positive');
        return [{ type: 'demo.Incremented', data: { counterId: command.counterId, by: command.by } }];
      case 'Reset':
        return state.status === 'empty' ? [] : [{ type: 'demo.Reset', data: { counterId: command.counterId } }];
      default:
        return assertNever(command);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'demo.Incremented':
        return { status: 'counting', total: (state.status === 'counting' ? state.total : 0) + event.data.by };
      case 'demo.Reset':
        return { status: 'counting', total: 0 };
      default:
        return assertNever(event);
    }
  },
};

/** Typed by its events: `envelope.data` narrows per `type`, no casts. */
export const totalsProjection = defineProjection<CounterEvent>({
  name: 'demo.totals',
  topics: ['counters'],
  tables: ['demo_totals'],
  handles: ['demo.Incremented', 'demo.Reset'],
  async setup({ sql, table }) {
    await sql.query(`CREATE TABLE IF NOT EXISTS ${table('demo_totals')} (counter_id text PRIMARY KEY, total int NOT NULL)`);
  },
  async apply(deliveries, { sql, table }) {
    for (const { envelope } of deliveries) {
      switch (envelope.type) {
        case 'demo.Incremented':
          await sql.query(
            `INSERT INTO ${table('demo_totals')} (counter_id, total) VALUES ($1, $2)
             ON CONFLICT (counter_id) DO UPDATE SET total = ${table('demo_totals')}.total + EXCLUDED.total`,
            [envelope.data.counterId, envelope.data.by],
          );
          break;
        case 'demo.Reset':
          await sql.query(`UPDATE ${table('demo_totals')} SET total = 0 WHERE counter_id = $1`, [envelope.data.counterId]);
          break;
        default:
          assertNever(envelope);
      }
    }
  },
});
