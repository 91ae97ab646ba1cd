import { CoWatchDelta } from './co-watch';
import { CoWatchCounts } from './scoring';

/**
 * The shared counts in memory: what `movieflix evaluate` replays into, and the shape a warm
 * start builds before it writes rows. `apply` is the one rule for adding a delta; the
 * processor's SQL upsert does the same sums.
 */
export class MemoryCounts implements CoWatchCounts {
  private readonly userCounts = new Map<string, number>();
  private readonly pairs = new Map<string, Map<string, number>>();
  private readonly itemGenres = new Map<string, readonly string[]>();
  private max = 0;

  apply(delta: CoWatchDelta, genres: readonly string[] = []): void {
    if (!this.itemGenres.has(delta.itemId) || genres.length > 0) this.itemGenres.set(delta.itemId, genres);
    if (delta.newUser) {
      const n = (this.userCounts.get(delta.itemId) ?? 0) + 1;
      this.userCounts.set(delta.itemId, n);
      if (n > this.max) this.max = n;
    }
    for (const [other, w] of delta.pairs) {
      this.add(delta.itemId, other, w);
      this.add(other, delta.itemId, w);
    }
  }

  private add(a: string, b: string, w: number): void {
    let row = this.pairs.get(a);
    if (!row) this.pairs.set(a, (row = new Map()));
    row.set(b, (row.get(b) ?? 0) + w);
  }

  users(itemId: string): number {
    return this.userCounts.get(itemId) ?? 0;
  }
  pair(a: string, b: string): number {
    return this.pairs.get(a)?.get(b) ?? 0;
  }
  maxUsers(): number {
    return this.max;
  }
  genres(itemId: string): readonly string[] {
    return this.itemGenres.get(itemId) ?? [];
  }
  /** Every item with at least one user, most popular first (ties: smaller id). */
  byPopularity(): string[] {
    return [...this.userCounts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
  }
  neighbours(itemId: string): ReadonlyMap<string, number> {
    return this.pairs.get(itemId) ?? new Map();
  }
  /** Every pair in both directions (a, b) and (b, a), as the processor stores them; for bulk writes. */
  *pairRows(): Generator<[string, string, number]> {
    for (const [a, row] of this.pairs) for (const [b, w] of row) yield [a, b, w];
  }
  *itemRows(): Generator<[string, number, readonly string[]]> {
    for (const [id, n] of this.userCounts) yield [id, n, this.genres(id)];
  }
}
