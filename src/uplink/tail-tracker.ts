import type { WireEvent } from './contract.js';

/** What `smartgate tail` reports on stderr besides the events themselves. */
export type TailNotice =
  | { notice: 'duplicate'; eventId: string; siteId: string; laneId: string; seq: number }
  | {
      notice: 'gap';
      siteId: string;
      laneId: string;
      bootId: string;
      previousBootId: string;
      afterSeq: number;
      nextSeq: number;
      missing: number;
    }
  | { notice: 'late'; eventId: string; siteId: string; laneId: string; bootId: string; seq: number }
  | { notice: 'new-boot'; siteId: string; laneId: string; bootId: string; previousBootId: string; seq: number }
  | {
      notice: 'seq-reset';
      siteId: string;
      laneId: string;
      bootId: string;
      previousBootId: string;
      lastSeq: number;
      seq: number;
    }
  | {
      notice: 'out-of-order';
      eventId: string;
      siteId: string;
      laneId: string;
      bootId: string;
      seq: number;
      lastSeq: number;
    };

export interface TailVerdict {
  /** A new event: print it. False for a duplicate. */
  print: boolean;
  notices: TailNotice[];
}

export interface TailTrackerOptions {
  /** Event ids remembered for de-duplication (least recently seen are forgotten first). */
  dedupWindow?: number;
  /** Unfilled gaps remembered per lane, so a late event can be recognised as filling one. */
  maxOpenGaps?: number;
}

interface LaneState {
  bootId: string;
  lastSeq: number;
  /** Boots seen on this lane, to tell an old boot's late event from a restarted sequence. */
  boots: Set<string>;
  /** Inclusive seq ranges reported missing and not yet filled, oldest first. */
  gaps: [number, number][];
}

/**
 * The consumer's bookkeeping, pure: de-duplicates by eventId within a bounded window, and per
 * (site, lane) follows seq — persisted at the gate, so it continues across boots — reporting a
 * jump as a gap (within a boot or across one), an event that fills a reported gap as late, and a
 * new boot that starts again at a lower seq as a sequence reset (the gate lost its store).
 */
export class TailTracker {
  private readonly seen = new Map<string, true>();
  private readonly lanes = new Map<string, LaneState>();
  private readonly dedupWindow: number;
  private readonly maxOpenGaps: number;

  constructor(opts: TailTrackerOptions = {}) {
    this.dedupWindow = opts.dedupWindow ?? 100_000;
    this.maxOpenGaps = opts.maxOpenGaps ?? 1000;
  }

  observe(event: WireEvent): TailVerdict {
    const { eventId, siteId, laneId, bootId, seq } = event;
    if (this.seen.has(eventId)) {
      // Refresh: a message redelivered again and again stays recognised.
      this.seen.delete(eventId);
      this.seen.set(eventId, true);
      return { print: false, notices: [{ notice: 'duplicate', eventId, siteId, laneId, seq }] };
    }
    this.remember(eventId);
    const key = `${siteId}\u0000${laneId}`;
    const lane = this.lanes.get(key);
    if (!lane) {
      this.lanes.set(key, { bootId, lastSeq: seq, boots: new Set([bootId]), gaps: [] });
      return { print: true, notices: [] };
    }
    return { print: true, notices: this.follow(lane, event) };
  }

  /** Lanes followed, with the last seq seen and how many seqs are still missing. */
  lanesSummary(): { siteId: string; laneId: string; bootId: string; lastSeq: number; missing: number }[] {
    return [...this.lanes].map(([key, lane]) => {
      const [siteId = '', laneId = ''] = key.split('\u0000');
      const missing = lane.gaps.reduce((n, [from, to]) => n + to - from + 1, 0);
      return { siteId, laneId, bootId: lane.bootId, lastSeq: lane.lastSeq, missing };
    });
  }

  private follow(lane: LaneState, event: WireEvent): TailNotice[] {
    const { eventId, siteId, laneId, bootId, seq } = event;
    if (this.fillGap(lane, seq)) return [{ notice: 'late', eventId, siteId, laneId, bootId, seq }];
    const notices: TailNotice[] = [];
    const previousBootId = lane.bootId;
    if (seq > lane.lastSeq) {
      if (seq > lane.lastSeq + 1) {
        const gap: TailNotice = {
          notice: 'gap',
          siteId,
          laneId,
          bootId,
          previousBootId,
          afterSeq: lane.lastSeq,
          nextSeq: seq,
          missing: seq - lane.lastSeq - 1,
        };
        notices.push(gap);
        lane.gaps.push([lane.lastSeq + 1, seq - 1]);
        if (lane.gaps.length > this.maxOpenGaps) lane.gaps.shift();
      }
      if (bootId !== previousBootId) notices.push({ notice: 'new-boot', siteId, laneId, bootId, previousBootId, seq });
      lane.lastSeq = seq;
      lane.bootId = bootId;
      lane.boots.add(bootId);
      return notices;
    }
    if (!lane.boots.has(bootId)) {
      // A boot never seen, starting below where the lane was: the gate's sequence began again.
      notices.push({ notice: 'seq-reset', siteId, laneId, bootId, previousBootId, lastSeq: lane.lastSeq, seq });
      lane.bootId = bootId;
      lane.lastSeq = seq;
      lane.boots = new Set([bootId]);
      lane.gaps = [];
      return notices;
    }
    return [{ notice: 'out-of-order', eventId, siteId, laneId, bootId, seq, lastSeq: lane.lastSeq }];
  }

  /** Removes `seq` from the lane's open gaps; false when it was not missing. */
  private fillGap(lane: LaneState, seq: number): boolean {
    const index = lane.gaps.findIndex(([from, to]) => seq >= from && seq <= to);
    if (index < 0) return false;
    const [from, to] = lane.gaps[index]!;
    const rest: [number, number][] = [];
    if (from < seq) rest.push([from, seq - 1]);
    if (seq < to) rest.push([seq + 1, to]);
    lane.gaps.splice(index, 1, ...rest);
    return true;
  }

  private remember(eventId: string): void {
    this.seen.set(eventId, true);
    if (this.seen.size > this.dedupWindow) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
