import { describe, expect, it } from 'vitest';
import type { WireEvent } from '../../src/uplink/contract.js';
import { TailTracker } from '../../src/uplink/tail-tracker.js';
import { fakeUlid } from '../helpers/memory-outbox.js';

let next = 1;
function event(seq: number, opts: { lane?: string; boot?: string; site?: string; id?: string } = {}): WireEvent {
  return {
    eventId: opts.id ?? fakeUlid(next++),
    bootId: opts.boot ?? 'boot-1',
    seq,
    siteId: opts.site ?? 'mlt-kth',
    laneId: opts.lane ?? 'entry-1',
    type: 'plate.read',
    ts: 0,
    ageMs: null,
    payload: {},
  };
}

/** Observes each event; returns what would be printed (seqs) and the notices' kinds. */
function run(tracker: TailTracker, events: WireEvent[]) {
  const printed: number[] = [];
  const notices: string[] = [];
  for (const e of events) {
    const verdict = tracker.observe(e);
    if (verdict.print) printed.push(e.seq);
    notices.push(...verdict.notices.map((n) => n.notice));
  }
  return { printed, notices };
}

describe('TailTracker', () => {
  it('prints a contiguous sequence once, with no notices', () => {
    const { printed, notices } = run(
      new TailTracker(),
      [1, 2, 3, 4].map((s) => event(s)),
    );
    expect(printed).toEqual([1, 2, 3, 4]);
    expect(notices).toEqual([]);
  });

  it('drops a redelivered event and says so', () => {
    const tracker = new TailTracker();
    const first = event(1);
    tracker.observe(first);
    const verdict = tracker.observe({ ...first });
    expect(verdict).toEqual({
      print: false,
      notices: [{ notice: 'duplicate', eventId: first.eventId, siteId: 'mlt-kth', laneId: 'entry-1', seq: 1 }],
    });
  });

  it('forgets the least recently seen ids past its window (bounded memory)', () => {
    const tracker = new TailTracker({ dedupWindow: 2 });
    const [a, b, c] = [event(1), event(2), event(3)];
    run(tracker, [a, b]);
    expect(tracker.observe(a).print).toBe(false); // refreshes a: b is now the oldest
    tracker.observe(c);
    expect(tracker.observe(a).print).toBe(false);
    expect(tracker.observe(b).print).toBe(true); // forgotten, so it counts as new
  });

  it('reports a gap within a boot with the missing range, and a late event that fills it', () => {
    const tracker = new TailTracker();
    tracker.observe(event(1));
    const gap = tracker.observe(event(5));
    expect(gap.notices).toEqual([
      {
        notice: 'gap',
        siteId: 'mlt-kth',
        laneId: 'entry-1',
        bootId: 'boot-1',
        previousBootId: 'boot-1',
        afterSeq: 1,
        nextSeq: 5,
        missing: 3,
      },
    ]);
    const late = tracker.observe(event(3));
    expect(late.print).toBe(true);
    expect(late.notices.map((n) => n.notice)).toEqual(['late']);
    expect(tracker.lanesSummary()).toEqual([
      { siteId: 'mlt-kth', laneId: 'entry-1', bootId: 'boot-1', lastSeq: 5, missing: 2 },
    ]);
    // 3 is no longer missing: a different event with seq 3 is out of order, not late.
    expect(run(tracker, [event(2), event(4), event(3)]).notices).toEqual(['late', 'late', 'out-of-order']);
  });

  it('follows seq across boots: contiguous is a new boot, a jump is a gap across boots', () => {
    const tracker = new TailTracker();
    const { notices } = run(tracker, [event(1), event(2), event(3, { boot: 'boot-2' }), event(4, { boot: 'boot-2' })]);
    expect(notices).toEqual(['new-boot']);
    const jump = tracker.observe(event(9, { boot: 'boot-3' }));
    expect(jump.notices).toEqual([
      {
        notice: 'gap',
        siteId: 'mlt-kth',
        laneId: 'entry-1',
        bootId: 'boot-3',
        previousBootId: 'boot-2',
        afterSeq: 4,
        nextSeq: 9,
        missing: 4,
      },
      { notice: 'new-boot', siteId: 'mlt-kth', laneId: 'entry-1', bootId: 'boot-3', previousBootId: 'boot-2', seq: 9 },
    ]);
    // The old boot's missing events arriving late fill the gap; they do not start a new sequence.
    expect(run(tracker, [event(5, { boot: 'boot-2' })]).notices).toEqual(['late']);
  });

  it('treats a new boot that starts below the last seq as a sequence reset, not a gap', () => {
    const tracker = new TailTracker();
    run(tracker, [event(1), event(2), event(3)]);
    const reset = tracker.observe(event(1, { boot: 'boot-2' }));
    expect(reset.notices).toEqual([
      {
        notice: 'seq-reset',
        siteId: 'mlt-kth',
        laneId: 'entry-1',
        bootId: 'boot-2',
        previousBootId: 'boot-1',
        lastSeq: 3,
        seq: 1,
      },
    ]);
    expect(run(tracker, [event(2, { boot: 'boot-2' })]).notices).toEqual([]);
  });

  it('keeps lanes and sites apart', () => {
    const tracker = new TailTracker();
    const { notices } = run(tracker, [
      event(1, { lane: 'a' }),
      event(7, { lane: 'b' }),
      event(2, { lane: 'a' }),
      event(8, { lane: 'b' }),
      event(1, { lane: 'a', site: 'other' }),
    ]);
    expect(notices).toEqual([]);
  });

  it('handles out-of-order delivery: every event printed once, the gap reported then filled', () => {
    const tracker = new TailTracker();
    const events = [1, 2, 4, 3, 5, 7, 6].map((s) => event(s));
    const { printed, notices } = run(tracker, [...events, events[3]!]);
    expect(printed).toEqual([1, 2, 4, 3, 5, 7, 6]);
    expect(notices).toEqual(['gap', 'late', 'gap', 'late', 'duplicate']);
    expect(tracker.lanesSummary()[0]!.missing).toBe(0);
  });
});
