import { Body, Controller, Get, Inject, Module, Param, Post } from '@nestjs/common';
import { Public } from '@streamfold/auth';
import { EVENT_STORE, EventStore, executeCommand } from '@streamfold/eventstore';
import { defineContext, StreamfoldModule } from '@streamfold/nestjs';
import { Database } from '@streamfold/runtime';
import { counterDecider, totalsProjection } from './counter';

export const counterContext = defineContext({
  name: 'demo',
  events: [{ type: 'demo.Incremented' }, { type: 'demo.Reset' }],
  streams: ['counter'],
  topics: [{ name: 'counters', partitions: 3 }],
  route: (e) => ({ topic: 'counters', key: (e.data as { counterId: string }).counterId }),
  projections: [totalsProjection],
});

@Public()
@Controller('counters')
class CounterController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore, private readonly db: Database) {}

  @Post(':id/increment')
  async increment(@Param('id') id: string, @Body() body: { by: number }) {
    await executeCommand({ store: this.store, decider: counterDecider, streamId: `counter-${id}`, command: { type: 'Increment', counterId: id, by: Number(body.by) }, context: { actor: null }, maxRetries: 3 });
    return { ok: true };
  }

  @Get(':id')
  async total(@Param('id') id: string) {
    const { rows } = await this.db.query('SELECT total FROM demo_totals WHERE counter_id = $1', [id]);
    return { total: rows[0]?.total ?? 0 };
  }
}

@Module({ imports: [StreamfoldModule.forFeature(counterContext)], controllers: [CounterController] })
export class CounterModule {}

@Module({ imports: [CounterModule] })
export class AppModule {}
