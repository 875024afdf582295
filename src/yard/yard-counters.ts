/** Upper bounds (seconds) of the dwell histogram's buckets: 5 min to a day; longer goes in +Inf. */
export const DWELL_BUCKETS_S = [300, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400] as const;

/** The yards' counters for /metrics: passages, anomalies, and the dwell of each vehicle that left. */
export class YardCounters {
  entered = 0;
  exitsWithoutEntry = 0;
  lookAlikeMatches = 0;
  overstays = 0;
  alarms = 0;
  private leftCount = 0;
  private dwellSumS = 0;
  /** Cumulative, as Prometheus wants: buckets[i] counts dwells ≤ DWELL_BUCKETS_S[i]. */
  private readonly buckets: number[] = DWELL_BUCKETS_S.map(() => 0);

  left(dwellMs: number): void {
    const s = Math.max(0, dwellMs) / 1000;
    this.leftCount++;
    this.dwellSumS += s;
    DWELL_BUCKETS_S.forEach((bound, i) => {
      if (s <= bound) this.buckets[i]!++;
    });
  }

  snapshot() {
    return {
      entered: this.entered,
      left: this.leftCount,
      exitsWithoutEntry: this.exitsWithoutEntry,
      lookAlikeMatches: this.lookAlikeMatches,
      overstays: this.overstays,
      alarms: this.alarms,
      dwell: { count: this.leftCount, sumS: this.dwellSumS, buckets: [...this.buckets] },
    };
  }
}
