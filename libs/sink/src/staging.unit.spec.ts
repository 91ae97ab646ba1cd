import { RunSplitter } from './staging';

describe('RunSplitter', () => {
  it('cuts at hour changes, keeps skipped offsets inside the run around them, and leaves a skipped-only tail out', () => {
    const s = new RunSplitter();
    s.skip(10); // a re-send before any row joins the first run
    s.add(11, '2026-12-01/10');
    s.skip(12);
    s.add(13, '2026-12-01/10');
    s.add(14, '2026-12-01/11'); // the hour changes: a new run
    s.skip(15);
    s.add(16, '2026-12-01/10'); // and back (late data): another one
    s.skip(17);
    expect(s.take()).toEqual([
      { first: 10, last: 13, hour: '2026-12-01/10', written: 2 },
      { first: 14, last: 15, hour: '2026-12-01/11', written: 1 },
      { first: 16, last: 17, hour: '2026-12-01/10', written: 1 },
    ]);
    s.skip(18);
    s.skip(19);
    expect(s.take()).toEqual([]); // dropped messages only: no file, read again after a restart
    s.add(20, '2026-12-01/12');
    expect(s.take()).toEqual([{ first: 20, last: 20, hour: '2026-12-01/12', written: 1 }]);
  });
});
