import { crc32c } from './crc32c';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;

describe('crc32c', () => {
  it('gives the standard check value of CRC-32C', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it("agrees with kafkajs' byte-at-a-time version on every length around the 8-byte step, and on views", () => {
    let seed = 7;
    const byte = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    const data = Buffer.from(Array.from({ length: 5000 }, byte));
    for (const length of [1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 4999]) {
      for (const start of [0, 1, 3]) {
        const view = data.subarray(start, start + length);
        expect(crc32c(view)).toBe(kafkajsCrc32c(view));
      }
    }
  });
});
