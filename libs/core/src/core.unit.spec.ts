import fc from 'fast-check';
import { propertyParams } from '@streamfold/testing';
import { compareSequence, compareSequenceText, formatSequence, isSequenceText, parseSequence } from './envelope';
import { EventRegistry, InvalidEventPayload, UnknownEventType } from './event-registry';
import { fromWire, HEADER, MalformedMessage, toWire } from './wire';
import { EventEnvelope } from './envelope';

const envelope: EventEnvelope = {
  eventId: 'e1',
  type: 'shop.OrderPlaced',
  schemaVersion: 1,
  streamId: 'order-1',
  streamPosition: 1,
  globalPosition: '7',
  occurredAt: '2026-11-25T10:00:00.000Z',
  recordedAt: '2026-11-25T10:00:01.000Z',
  correlationId: null,
  causationId: null,
  actor: 'u1',
  data: { total: '10.00' },
};

describe('log sequence', () => {
  it('orders by transaction id first, then position, as big integers', () => {
    expect(compareSequence({ txId: '9', position: '100' }, { txId: '10', position: '1' })).toBe(-1);
    expect(compareSequence({ txId: '10', position: '2' }, { txId: '10', position: '1' })).toBe(1);
    expect(compareSequence({ txId: '18446744073709551615', position: '1' }, { txId: '18446744073709551614', position: '9' })).toBe(1);
    expect(compareSequence({ txId: '5', position: '5' }, { txId: '5', position: '5' })).toBe(0);
    expect(compareSequence({ txId: '007', position: '1' }, { txId: '10', position: '1' })).toBe(-1);
  });
  it('orders any two sequences as their big-integer values do, leading zeros included', () => {
    const decimal = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 70n }).map(String), fc.tuple(fc.nat(3), fc.nat(99)).map(([zeros, n]) => '0'.repeat(zeros) + n));
    const sign = (d: bigint) => (d === 0n ? 0 : d < 0n ? -1 : 1);
    fc.assert(
      fc.property(decimal, decimal, decimal, decimal, (t1, p1, t2, p2) => {
        const expected = sign(BigInt(t1) - BigInt(t2)) || sign(BigInt(p1) - BigInt(p2));
        expect(compareSequence({ txId: t1, position: p1 }, { txId: t2, position: p2 })).toBe(expected);
      }),
      propertyParams({ numRuns: 500 }),
    );
  });
  it('compares header texts as the sequences they hold, without parsing them', () => {
    const decimal = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 70n }).map(String), fc.tuple(fc.nat(3), fc.nat(99)).map(([zeros, n]) => '0'.repeat(zeros) + n));
    fc.assert(
      fc.property(decimal, decimal, decimal, decimal, (t1, p1, t2, p2) => {
        const a = { txId: t1, position: p1 };
        const b = { txId: t2, position: p2 };
        expect(compareSequenceText(formatSequence(a), formatSequence(b))).toBe(compareSequence(a, b));
      }),
      propertyParams({ numRuns: 500 }),
    );
  });
  it('round-trips through its header form and rejects garbage', () => {
    expect(parseSequence(formatSequence({ txId: '42', position: '7' }))).toEqual({ txId: '42', position: '7' });
    for (const garbage of ['42;7', '42:', ':7', '4:2:7', '4a:7', '', ' 4:7', '4:7 ', '-4:7']) {
      expect(parseSequence(garbage)).toBeNull();
      expect(isSequenceText(garbage)).toBe(false);
    }
    expect(isSequenceText('42:7')).toBe(true);
    expect(parseSequence(undefined)).toBeNull();
  });
});

describe('wire format', () => {
  it('carries the envelope, its type and sequence in headers, and event time as the Kafka timestamp', () => {
    const wire = toWire(envelope, 'order-1', { txId: '3', position: '7' });
    expect(wire.headers[HEADER.type]).toBe('shop.OrderPlaced');
    expect(wire.headers[HEADER.sequence]).toBe('3:7');
    expect(wire.timestamp).toBe(Date.parse(envelope.occurredAt));
    expect(fromWire(Buffer.from(wire.value), wire.headers)).toEqual({ envelope, sequence: { txId: '3', position: '7' } });
  });
  it('telemetry has no sequence', () => {
    const wire = toWire({ ...envelope, streamPosition: null, globalPosition: null }, 'u1', null);
    expect(wire.headers[HEADER.sequence]).toBeUndefined();
    expect(fromWire(wire.value, wire.headers).sequence).toBeNull();
  });
  it.each(['not json', '{"type":1}', 'null', '[]'])('rejects %p as malformed', (value) => {
    expect(() => fromWire(value)).toThrow(MalformedMessage);
  });
});

describe('event registry', () => {
  const registry = new EventRegistry().register({
    type: 'shop.OrderPlaced',
    schemaVersion: 3,
    validate: (d: any) => (typeof d?.total === 'string' ? [] : ['total must be a decimal string']),
    upcasters: { 1: (d) => ({ ...d, currency: 'EUR' }), 2: (d) => ({ ...d, total: String(d.total) }) },
  });

  it('validates payloads with a message naming the problem', () => {
    expect(() => registry.validate('shop.OrderPlaced', { total: 10 })).toThrow(InvalidEventPayload);
    expect(() => registry.validate('shop.OrderPlaced', { total: 10 })).toThrow(/total must be a decimal string/);
    expect(() => registry.validate('shop.Nope', {})).toThrow(UnknownEventType);
  });
  it('upcasts old schema versions step by step', () => {
    const up = registry.upcast({ ...envelope, data: { total: 10 } });
    expect(up.schemaVersion).toBe(3);
    expect(up.data).toEqual({ total: '10', currency: 'EUR' });
  });
  it('refuses a type registered twice', () => {
    expect(() => new EventRegistry().register({ type: 'a' }, { type: 'a' })).toThrow(/registered twice/);
  });
});
