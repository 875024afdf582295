import { describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../src/core/log.js';
import { reconcile, type Reconciliation } from '../../src/postcheck/reconcile.js';
import { dayWindow, localDay } from '../../src/postcheck/site-day.js';
import type { PassageRecord } from '../../src/store/postcheck-records.js';
import { postcheckSummarySchema, type PostcheckSummaryMessage } from '../../src/uplink/contract.js';
import {
  POSTCHECK_SUMMARY_MAX_FLAGGED,
  POSTCHECK_SUMMARY_MIN_INTERVAL_MS,
  PostcheckSummaryPublisher,
} from '../../src/uplink/postcheck-summary-publisher.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { ScriptedPublisher } from '../helpers/scripted-publisher.js';

const TZ = 'Asia/Ho_Chi_Minh';
const TOPIC = 'smartgate/v1/mlt-kth/postcheck/summary';
const INTERVAL_MS = 15_000;

/** A passage of the ledger at `passedAt`: declared, or undeclared and flagged. */
function passage(n: number, passedAt: number, flagged: boolean): PassageRecord {
  return {
    passageId: `passage-${n}`,
    decisionId: `decision-${n}`,
    laneId: 'entry-1',
    plate: `29C${String(10000 + n)}`,
    passedAt,
    day: localDay(passedAt, TZ),
    status: flagged ? 'undeclared' : 'declared',
    declarationId: flagged ? null : `D-${n}`,
    flags: flagged ? [{ kind: 'undeclared', detail: `no valid fee declaration for passage ${n}` }] : [],
    flagEventId: flagged ? `flag-${n}` : null,
    confidence: 0.9,
    votes: 3,
  };
}

/** The post-check of the clock's day over passages the test adds, as the gate's day reports give it. */
function fakePostcheck(clock: FakeClock) {
  const passages: PassageRecord[] = [];
  let fails = false;
  const today = (): Reconciliation => {
    if (fails) throw new Error('database is locked');
    const day = localDay(clock.now(), TZ);
    return reconcile({
      day,
      timeZone: TZ,
      window: dayWindow(day, TZ),
      now: clock.now(),
      passages: passages.filter((p) => p.day === day),
      declarations: [],
      passagesUsing: () => [],
    });
  };
  return {
    postcheck: { today },
    pass: (flagged: boolean) => passages.push(passage(passages.length + 1, clock.now(), flagged)),
    fail: (on: boolean) => (fails = on),
  };
}

/** `start`: default 08:00 on 4 December in Hà Nội. */
function setUp(start = Date.UTC(2026, 11, 4, 1, 0, 0)) {
  const clock = new FakeClock(start);
  const publisher = new ScriptedPublisher();
  const fake = fakePostcheck(clock);
  const errors: string[] = [];
  const log: Logger = { ...silentLogger, error: (_obj, msg) => errors.push(msg ?? ''), child: () => log };
  const summaries = new PostcheckSummaryPublisher({ clock, log }, publisher, {
    prefix: 'smartgate/v1',
    siteId: 'mlt-kth',
    intervalMs: INTERVAL_MS,
    postcheck: fake.postcheck,
  });
  const sent = () => publisher.sent.map((s) => JSON.parse(s.message.payload) as PostcheckSummaryMessage);
  return { clock, publisher, summaries, sent, errors, ...fake };
}

describe('PostcheckSummaryPublisher', () => {
  it("publishes the day's summary retained at QoS 0 on connect, in the contract's shape; nothing while down", async () => {
    const { clock, publisher, summaries, sent, pass } = setUp();
    await summaries.start();
    pass(false);
    pass(true);
    summaries.changed();
    clock.advance(POSTCHECK_SUMMARY_MIN_INTERVAL_MS);
    expect(publisher.sent).toEqual([]);

    publisher.setConnected(true);
    expect(publisher.sent.map((s) => [s.message.topic, s.message.qos, s.message.retain])).toEqual([[TOPIC, 0, true]]);
    const [summary] = sent();
    expect(postcheckSummarySchema.parse(summary)).toEqual({
      day: '2026-12-04',
      timeZone: TZ,
      from: Date.UTC(2026, 11, 3, 17, 0, 0),
      to: Date.UTC(2026, 11, 4, 17, 0, 0),
      ts: clock.now(),
      totals: {
        passages: 2,
        declared: 1,
        undeclared: 1,
        flagged: 1,
        mismatches: 0,
        declarationsUsedTwice: 0,
        expiredUnused: 0,
      },
      flagged: [
        {
          passageId: 'passage-2',
          flagEventId: 'flag-2',
          laneId: 'entry-1',
          plate: '29C10002',
          passedAt: clock.now() - POSTCHECK_SUMMARY_MIN_INTERVAL_MS,
          declarationId: null,
          flags: ['undeclared'],
        },
      ],
    });
    publisher.sent[0]!.done(null);
    expect(summaries.stats()).toEqual({ published: 1 });

    // Down again: nothing is queued, and the next connect sends the summary anew.
    publisher.setConnected(false);
    pass(true);
    summaries.changed();
    clock.advance(INTERVAL_MS);
    expect(publisher.sent).toHaveLength(1);
    publisher.setConnected(true);
    expect(sent().map((s) => s.totals.flagged)).toEqual([1, 2]);
    await summaries.stop();
  });

  it(`names the latest ${POSTCHECK_SUMMARY_MAX_FLAGGED} flagged passages, newest first, and counts them all`, async () => {
    const { clock, publisher, summaries, sent, pass } = setUp();
    for (let i = 0; i < 150; i++) {
      pass(true);
      clock.advance(1000);
    }
    await summaries.start();
    publisher.setConnected(true);
    const [summary] = sent();
    expect(summary!.totals.flagged).toBe(150);
    expect(summary!.flagged).toHaveLength(POSTCHECK_SUMMARY_MAX_FLAGGED);
    expect(summary!.flagged[0]!.passageId).toBe('passage-150');
    expect(summary!.flagged.at(-1)!.passageId).toBe('passage-51');
    await summaries.stop();
  });

  it('sends a burst of passages as one message, at most one every few seconds, ending with the latest', async () => {
    const { clock, publisher, summaries, sent, pass } = setUp();
    await summaries.start();
    publisher.setConnected(true);
    expect(sent()).toHaveLength(1);

    // Right after the connect's summary: the change waits for the interval, and a burst is one message.
    pass(true);
    summaries.changed();
    pass(true);
    summaries.changed();
    clock.advance(POSTCHECK_SUMMARY_MIN_INTERVAL_MS - 1);
    expect(sent()).toHaveLength(1);
    pass(true);
    summaries.changed();
    clock.advance(1);
    expect(sent().map((s) => s.totals.flagged)).toEqual([0, 3]);

    // A passage long after the last message goes out at once (once the call stack is done).
    clock.advance(POSTCHECK_SUMMARY_MIN_INTERVAL_MS + 1);
    pass(false);
    summaries.changed();
    expect(sent()).toHaveLength(2);
    clock.advance(0);
    expect(sent().map((s) => s.totals.passages)).toEqual([0, 3, 4]);
    await summaries.stop();
  });

  it('replaces the summary every interval while connected: the day turns at local midnight without a passage', async () => {
    // 23:59:50 on 4 December in Hà Nội.
    const { clock, publisher, summaries, sent, pass } = setUp(Date.UTC(2026, 11, 4, 16, 59, 50));
    pass(true);
    await summaries.start();
    publisher.setConnected(true);
    clock.advance(INTERVAL_MS);
    expect(sent().map((s) => [s.day, s.totals.passages, s.flagged.length])).toEqual([
      ['2026-12-04', 1, 1],
      ['2026-12-05', 0, 0],
    ]);
    await summaries.stop();
    expect(clock.pendingTimers()).toBe(0);
    const count = sent().length;
    clock.advance(INTERVAL_MS * 3);
    summaries.changed();
    clock.advance(POSTCHECK_SUMMARY_MIN_INTERVAL_MS);
    expect(sent()).toHaveLength(count);
  });

  it('logs a report that fails and sends nothing for it; the next one goes out', async () => {
    const { clock, publisher, summaries, sent, errors, fail } = setUp();
    await summaries.start();
    fail(true);
    publisher.setConnected(true);
    expect(sent()).toEqual([]);
    expect(errors).toEqual(['post-check summary failed']);
    fail(false);
    clock.advance(INTERVAL_MS);
    expect(sent()).toHaveLength(1);
    await summaries.stop();
  });
});
