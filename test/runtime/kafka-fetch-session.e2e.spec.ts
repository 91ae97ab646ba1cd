import { KafkaMessageLog } from '@streamfold/messaging';
import { deleteTopics, eventually, KAFKA_BROKERS, topicPrefix } from '../e2e-env';

// kafkajs internals: the test watches (and once repeats) the fetch requests consumers send.
interface ProtocolRequest {
  request: { apiName: string };
  /** Set by the fetch session patch on the requests it builds. */
  fetchSession?: { id: number; epoch: number; partitions: number };
}
type Send = (request: ProtocolRequest) => Promise<{ errorCode?: number; responses: Array<{ topicName: string; partitions: unknown[] }> }>;
const Broker = require('kafkajs/src/broker') as { prototype: Record<symbol, Send> };
const SEND = Object.getOwnPropertySymbols(Broker.prototype).find((s) => s.description === 'private:Broker:sendRequest')!;

interface Fetch {
  epoch: number;
  asked: number;
  answered: number;
  errorCode: number;
}

/**
 * Incremental fetch sessions (KIP-227) on the real broker: after its first full fetch a consumer
 * names only the partitions whose position moved, gets back only those with news, and reads
 * everything as before; a session the broker refuses (here: a request repeated with its spent
 * epoch, which Kafka answers INVALID_FETCH_SESSION_EPOCH) costs one full fetch, nothing else.
 */
describe('kafka consumer fetch sessions', () => {
  const prefix = topicPrefix('fsess');
  const log = new KafkaMessageLog({ brokers: KAFKA_BROKERS, clientId: 'e2e-fsess', prefix });
  const send = Broker.prototype[SEND];
  const fetches: Fetch[] = [];
  let repeatNext = false;

  beforeAll(() => {
    Broker.prototype[SEND] = async function (this: unknown, request: ProtocolRequest) {
      const session = request.fetchSession;
      const ours = request.request.apiName === 'Fetch' && session !== undefined;
      let response = await send.call(this, request);
      if (!ours) return response;
      if (repeatNext && session.epoch > 0) {
        repeatNext = false;
        response = await send.call(this, request);
      }
      const answered = response.responses.filter((t) => t.topicName.startsWith(prefix)).reduce((n, t) => n + t.partitions.length, 0);
      if (answered + session.partitions > 0) fetches.push({ epoch: session.epoch, asked: session.partitions, answered, errorCode: response.errorCode ?? 0 });
      return response;
    };
  });

  afterAll(async () => {
    Broker.prototype[SEND] = send;
    await deleteTopics(prefix);
    await log.close();
  });

  const sendRounds = async (from: number, to: number) => {
    // Three messages at a time, so each fetch finds only a few of the 24 partitions moved.
    for (let round = from; round < to; round++) {
      await log.send('many', Array.from({ length: 3 }, (_, i) => ({ key: `k${round}-${i}`, value: String(round * 3 + i) })));
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('asks for and gets back only moved partitions after the first fetch, and reads every message, also after a refused session', async () => {
    await log.ensureTopics([{ name: 'many', partitions: 24 }]);
    const values: number[] = [];
    const handle = await log.consume({ groupId: 'many', topics: ['many'], eachBatch: async (batch) => batch.messages.forEach((m) => values.push(Number(m.value.toString()))) });
    try {
      await sendRounds(0, 10);
      await eventually(async () => (values.length >= 30 ? true : undefined), 30_000, 'the first 30 messages');
      repeatNext = true;
      await eventually(async () => (!repeatNext ? true : undefined), 30_000, 'an incremental fetch to repeat');
      await sendRounds(10, 20);
      await eventually(async () => (values.length >= 60 ? true : undefined), 30_000, 'all 60 messages after the refused session');
    } finally {
      await handle.stop();
    }
    expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));

    const full = fetches.filter((f) => f.epoch === 0);
    const incremental = fetches.filter((f) => f.epoch > 0 && f.errorCode === 0);
    // The first fetch names all 24 partitions; incremental ones name only those that moved.
    expect(full[0].asked).toBe(24);
    expect(incremental.length).toBeGreaterThan(5);
    expect(Math.max(...incremental.map((f) => f.asked))).toBeLessThan(24);
    expect(Math.max(...incremental.map((f) => f.answered))).toBeLessThan(24);
    // The repeated request was refused (INVALID_FETCH_SESSION_EPOCH is 71), and a full fetch followed.
    const refused = fetches.findIndex((f) => f.errorCode === 71);
    expect(refused).toBeGreaterThanOrEqual(0);
    expect(fetches.slice(refused + 1).find((f) => f.asked > 0)?.epoch).toBe(0);
  });
});
