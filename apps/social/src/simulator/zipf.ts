/**
 * Zipf-distributed ranks in [0, n): rank k has weight 1 / (k + 1)^s, so a few posts get most of
 * the traffic, as on launch day. Sampling by binary search over the cumulative weights.
 */
export class Zipf {
  private readonly cumulative: Float64Array;

  constructor(readonly n: number, readonly s = 1.1, private readonly random: () => number = Math.random) {
    this.cumulative = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) this.cumulative[k] = total += 1 / Math.pow(k + 1, s);
    for (let k = 0; k < n; k++) this.cumulative[k] /= total;
  }

  next(): number {
    const u = this.random();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
