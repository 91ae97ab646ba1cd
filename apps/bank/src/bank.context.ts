import { EventRegistry } from '@streamfold/core';
import { transactionalAppender } from '@streamfold/eventstore';
import { defineContext } from '@streamfold/nestjs';
import { defineProcessor } from '@streamfold/projections';
import { BANK_TOPICS, routeBankEvent } from './bank.topics';
import { ConnectorCommand, MyBankCommand } from './cli/mybank.command';
import { BANK_EVENT_TYPES } from './domain/bank.events';
import { cdcTransactionsProcessor } from './processors/cdc-transactions.processor';
import { largeTransactionsProcessor } from './processors/large-transactions.processor';
import { alertsProjection } from './read-models/alerts.projection';
import { coreInsertsSimulator } from './simulator/core-inserts';

// Processors append their output inside the batch's transaction, validated like any append.
const emitter = transactionalAppender(new EventRegistry().register(...BANK_EVENT_TYPES));

/**
 * MyBank: transactions captured from a core banking database it does not own, thresholds as
 * events, alerts judged by the threshold in force at each transaction's commit time.
 */
export const bankContext = defineContext({
  name: 'bank',
  description: 'MyBank: transactions captured from the core banking database, thresholds as events, real-time large-transaction alerts',
  events: BANK_EVENT_TYPES,
  streams: ['bank-transaction', 'user-settings', 'alert'],
  topics: BANK_TOPICS,
  route: routeBankEvent,
  projections: [
    defineProcessor(cdcTransactionsProcessor, { eventStore: emitter }),
    defineProcessor(largeTransactionsProcessor, { eventStore: emitter }),
    alertsProjection,
  ],
  simulator: coreInsertsSimulator,
  commands: [MyBankCommand, ConnectorCommand],
});
