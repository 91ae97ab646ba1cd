import { AppTelemetryType } from './app-telemetry';
import { LogShipper, NonBlockingPublisher } from './log-shipper';

/** A producer with a fixed room, like a TelemetryProducer whose broker is away once the room is used up. */
class FakeProducer implements NonBlockingPublisher {
  sent: Array<{ topic: string; key: string; type: string; data: any; at: Date }> = [];
  constructor(public room: number) {}
  tryPublish(topic: string, key: string, type: string, data: unknown, at?: Date | string): boolean {
    if (this.room <= 0) return false;
    this.room--;
    this.sent.push({ topic, key, type, data, at: new Date(at ?? Date.now()) });
    return true;
  }
}

describe('LogShipper', () => {
  it('ships a pino line as LogRecorded on app_logs keyed by service, at the line\'s own time', () => {
    const producer = new FakeProducer(10);
    const shipper = new LogShipper(producer, { service: 'billing', instance: 'h-1' });
    shipper.write('{"level":50,"time":1764590400000,"pid":7,"hostname":"h","msg":"card declined","orderId":"o-1"}\n');
    expect(producer.sent).toEqual([
      {
        topic: 'app_logs',
        key: 'billing',
        type: AppTelemetryType.LogRecorded,
        data: { service: 'billing', instance: 'h-1', level: 'error', msg: 'card declined', fields: { orderId: 'o-1' } },
        at: new Date(1764590400000),
      },
    ]);
    shipper.close();
  });

  it('drops what does not fit without waiting, counts it exactly and reports it once there is room again', () => {
    const producer = new FakeProducer(3);
    const said: string[] = [];
    let counted = 0;
    const shipper = new LogShipper(producer, { service: 's', instance: 'i', onDropped: () => counted++, say: (l) => said.push(l), reportEveryMs: 60_000 });
    for (let i = 0; i < 10; i++) shipper.write(JSON.stringify({ level: 30, time: Date.now(), msg: `line ${i}` }));
    expect(producer.sent).toHaveLength(3);
    expect(shipper.dropped).toBe(7);
    expect(counted).toBe(7);
    producer.room = 100; // the broker is back and the buffer drained
    shipper.write(JSON.stringify({ level: 30, msg: 'after' }));
    const types = producer.sent.map((s) => s.type);
    expect(types.slice(3)).toEqual([AppTelemetryType.LogsDropped, AppTelemetryType.LogRecorded]);
    expect(producer.sent[3].data).toMatchObject({ count: 7, total: 7 });
    expect(said).toHaveLength(1);
    expect(JSON.parse(said[0]).msg).toMatch(/LogsDropped: 7 log lines dropped/);
    shipper.close();
  });

  it('keeps a line that is not JSON as its message', () => {
    const producer = new FakeProducer(1);
    const shipper = new LogShipper(producer, { service: 's', instance: 'i' });
    shipper.write('plain text');
    expect(producer.sent[0].data).toMatchObject({ level: 'info', msg: 'plain text' });
    shipper.close();
  });
});
