import type { StageRow } from './row-source';

/**
 * Rows on their way to the writer thread, in a few typed arrays whose buffers are moved to it,
 * not copied (see transferList): integers as DuckDB stores them, and the key, sequence and envelope
 * bytes of every row in one byte array.
 */
export interface PackedRows {
  count: number;
  partitions: Int32Array;
  /** BIGINTs as two 32-bit halves (little-endian): offsets and times below 2^53 need no BigInt. */
  offsets: Uint32Array;
  times: Uint32Array;
  /** Per row: start and length of its key, sequence and envelope in `bytes`; length -1 is NULL. */
  spans: Int32Array;
  bytes: Uint8Array;
}

/**
 * Packs rows as they come, growing its arrays by doubling. The sink packs each message when it
 * takes it, so the consumer's message objects die young: held until a flush (up to flushRows per
 * partition), they were promoted to the old generation, and the garbage collector was a quarter of
 * the consumer thread's time.
 */
export class RowPacker {
  private count = 0;
  private at = 0;
  private partitions!: Int32Array;
  private offsets!: Uint32Array;
  private times!: Uint32Array;
  private spans!: Int32Array;
  private bytes!: Buffer;

  constructor(private rowCapacity = 256, private byteCapacity = 64 * 1024) {
    this.allocate();
  }

  /** Empty arrays of at least the current capacity: recycled ones when there are (see recycle). */
  private allocate(): void {
    const arrays = reuse(this.rowCapacity, this.byteCapacity) ?? {
      partitions: new Int32Array(this.rowCapacity),
      offsets: new Uint32Array(this.rowCapacity * 2),
      times: new Uint32Array(this.rowCapacity * 2),
      spans: new Int32Array(this.rowCapacity * 6),
      bytes: Buffer.allocUnsafeSlow(this.byteCapacity),
    };
    ({ partitions: this.partitions, offsets: this.offsets, times: this.times, spans: this.spans, bytes: this.bytes } = arrays);
    this.rowCapacity = arrays.partitions.length;
    this.byteCapacity = arrays.bytes.length;
    this.count = 0;
    this.at = 0;
  }

  get rows(): number {
    return this.count;
  }

  add(partition: number, offset: number, ts: number, key: string | null, seq: string | null, envelope: Uint8Array | string): void {
    if (this.count === this.rowCapacity) this.growRows();
    // UTF-16 code units take at most 3 UTF-8 bytes each; a sequence is ASCII.
    const most = (key === null ? 0 : key.length * 3) + (seq === null ? 0 : seq.length) + (typeof envelope === 'string' ? envelope.length * 3 : envelope.length);
    if (this.at + most > this.byteCapacity) this.growBytes(this.at + most);
    const i = this.count++;
    this.partitions[i] = partition;
    setInt64(this.offsets, i, offset);
    setInt64(this.times, i, ts);
    this.span(i * 6, key, 'utf8');
    this.span(i * 6 + 2, seq, 'latin1');
    this.span(i * 6 + 4, envelope, 'utf8');
  }

  /** The rows packed so far; the packer starts empty again, with the same capacity. */
  take(): PackedRows {
    const n = this.count;
    const rows: PackedRows = {
      count: n,
      partitions: this.partitions.subarray(0, n),
      offsets: this.offsets.subarray(0, 2 * n),
      times: this.times.subarray(0, 2 * n),
      spans: this.spans.subarray(0, 6 * n),
      bytes: this.bytes.subarray(0, this.at),
    };
    this.allocate();
    return rows;
  }

  private span(s: number, value: Uint8Array | string | null, encoding: 'utf8' | 'latin1'): void {
    if (value === null) {
      this.spans[s + 1] = -1;
      return;
    }
    let n: number;
    if (typeof value === 'string') n = this.bytes.write(value, this.at, encoding);
    else {
      this.bytes.set(value, this.at);
      n = value.length;
    }
    this.spans[s] = this.at;
    this.spans[s + 1] = n;
    this.at += n;
  }

  private growRows(): void {
    this.rowCapacity *= 2;
    const grow = <T extends Int32Array | Uint32Array>(old: T, next: T) => (next.set(old), next);
    this.partitions = grow(this.partitions, new Int32Array(this.rowCapacity));
    this.offsets = grow(this.offsets, new Uint32Array(this.rowCapacity * 2));
    this.times = grow(this.times, new Uint32Array(this.rowCapacity * 2));
    this.spans = grow(this.spans, new Int32Array(this.rowCapacity * 6));
  }

  private growBytes(needed: number): void {
    while (this.byteCapacity < needed) this.byteCapacity *= 2;
    const next = Buffer.allocUnsafeSlow(this.byteCapacity);
    this.bytes.copy(next, 0, 0, this.at);
    this.bytes = next;
  }
}

/** Packs the written rows of `rows` (envelope not null), in order. */
export function packRows(rows: readonly StageRow[]): PackedRows {
  const packer = new RowPacker();
  for (const row of rows) if (row.envelope !== null) packer.add(row.partition, row.offset, row.ts, row.key, row.seq, row.envelope);
  return packer.take();
}

/** Row `i`'s span `k` (0 key, 1 sequence, 2 envelope) of `rows`, null for NULL. */
export function spanOf(rows: PackedRows, i: number, k: 0 | 1 | 2): Uint8Array | null {
  const start = rows.spans[i * 6 + 2 * k];
  const length = rows.spans[i * 6 + 2 * k + 1];
  return length < 0 ? null : rows.bytes.subarray(start, start + length);
}

/** Row `i`'s offset (or, with `times`, its event time) of `rows`. */
export function int64Of(halves: Uint32Array, i: number): number {
  return halves[2 * i] + halves[2 * i + 1] * 4294967296;
}

type Arrays = Omit<PackedRows, 'count' | 'bytes'> & { bytes: Buffer };

/**
 * Arrays of written flushes, packed again (they came back from the writer thread): a flush's
 * arrays are megabytes, and allocating them anew per flush made the collector work for them.
 */
const recycled: Arrays[] = [];
const RECYCLED_MAX = 16;

/** Keeps the arrays of rows that are written, for a later RowPacker. */
export function recycle(rows: PackedRows): void {
  if (recycled.length >= RECYCLED_MAX) return;
  const bytes = rows.bytes.buffer as ArrayBuffer;
  recycled.push({
    partitions: new Int32Array(rows.partitions.buffer),
    offsets: new Uint32Array(rows.offsets.buffer),
    times: new Uint32Array(rows.times.buffer),
    spans: new Int32Array(rows.spans.buffer),
    bytes: Buffer.from(bytes, 0, bytes.byteLength),
  });
}

/** Recycled arrays that hold at least this many rows and bytes (the largest first found). */
function reuse(rows: number, bytes: number): Arrays | null {
  const i = recycled.findIndex((a) => a.partitions.length >= rows && a.bytes.length >= bytes);
  return i < 0 ? null : recycled.splice(i, 1)[0];
}

/** The buffers `postMessage` moves to the other thread instead of copying them (they become empty here). */
export function transferList(rows: PackedRows): ArrayBuffer[] {
  return [rows.partitions.buffer, rows.offsets.buffer, rows.times.buffer, rows.spans.buffer, rows.bytes.buffer] as ArrayBuffer[];
}

/** Writes a non-negative integer below 2^53 as a little-endian int64 at index `i`. */
function setInt64(halves: Uint32Array, i: number, value: number): void {
  halves[2 * i] = value >>> 0;
  halves[2 * i + 1] = Math.floor(value / 4294967296);
}
