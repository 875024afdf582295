import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { laneDecisionsSchema } from '../../src/config/decisions.js';
import { flowSchema } from '../../src/config/flow.js';
import { EventBus } from '../../src/core/bus.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import type { LaneEvents } from '../../src/lane/events.js';
import { LaneController, LaneStoreError } from '../../src/lane/flow/lane-controller.js';
import { LaneDecider } from '../../src/lane/deciding/decider.js';
import type { Store } from '../../src/store/store.js';
import type { EventType, NewEvent, TransactionalSink } from '../../src/store/types.js';
import { FakeBarrier } from '../helpers/fake-barrier.js';
import { settle } from '../helpers/fake-serial-port.js';
import { useTempDirs } from '../helpers/store-fixtures.js';
import { voted } from '../helpers/voted.js';

// A lane over a real store whose writes fail as a full disk makes them fail: the lane must
// never open what it could not record, never stay in `opening`, and work again once the store does.

const LANE = 'entry-1';
const ALLOWED = '29C12345';
const OPENING_TIMEOUT_MS = 10_000;
const operator = { operator: 'nguyen.van.a', reason: 'ambulance at the barrier', source: 'page' as const };

const full = () => new BetterSqlite3.SqliteError('database or disk is full', 'SQLITE_FULL');

const temp = useTempDirs();
let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});

async function setUp() {
  const clock = new FakeClock(Date.UTC(2026, 10, 25, 3, 0, 0));
  const store = temp.open(temp.make(), {}, clock);
  store.lists.applyFull('allow', 1, [{ key: ALLOWED }]);
  store.lists.applyFull('deny', 1, []);
  store.lists.applyFull('watch', 1, []);
  /** Appends of these types fail as on a full disk (`*`: all of them). */
  const failing = new Set<EventType | '*'>();
  const sink: TransactionalSink = {
    append: (event: NewEvent) => {
      if (failing.has('*') || failing.has(event.type)) throw full();
      return store.events.append(event);
    },
    transaction: (fn) => store.events.transaction(fn),
    afterCommit: (fn) => store.events.afterCommit(fn),
  };
  const bus = new EventBus<LaneEvents>(silentLogger);
  const barrier = new FakeBarrier();
  const decider = new LaneDecider({ bus, log: silentLogger, clock }, { sink, lists: store.lists });
  const lane = new LaneController(
    { bus, log: silentLogger, clock },
    { decider, sink, barrier },
    {
      lane: { id: LANE, direction: 'entry', rules: laneDecisionsSchema.parse({}) },
      flow: flowSchema.parse({ waitAlarmMs: 60_000, passTimeoutMs: 4000, cooldownMs: 1000 }),
      barrierDriver: 'lcus',
      loopWired: false,
      commandDeadlineMs: 2000,
      openingTimeoutMs: OPENING_TIMEOUT_MS,
    },
  );
  await lane.start();
  stop = () => lane.stop();
  /** As the daemon delivers a read: on the bus, which logs what a listener throws. */
  const read = (text: string) => bus.emit('plate.read', { laneId: LANE, read: voted(text) });
  const events = (type?: EventType) =>
    store.events
      .pending(1000)
      .map((e) => e.event)
      .filter((e) => type === undefined || e.type === type);
  const tick = async (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      clock.advance(100);
      await settle();
    }
  };
  return { clock, store, failing, barrier, lane, read, events, tick };
}

/**
 * Fills the database to its page limit with the lane's own kind of rows, smaller and smaller,
 * until not even a small event fits: every event the lane appends after this fails with SQLITE_FULL.
 */
function fillUp(store: Store): void {
  store.db.pragma(`max_page_count = ${store.db.pragma('page_count', { simple: true }) as number}`);
  for (const size of [4000, 400, 40, 0]) {
    for (let i = 0; ; i++) {
      if (i > 10_000) throw new Error('the database never filled');
      try {
        store.events.append({ type: 'plate.read', laneId: LANE, payload: { ballast: 'x'.repeat(size) } });
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_FULL') break;
        throw err;
      }
    }
  }
}

const makeRoom = (store: Store) => store.db.pragma('max_page_count = 1073741823');

describe('a lane whose store fails', () => {
  it("the open's request cannot be recorded: nothing is sent, the vehicle is held instead of the lane opening for ever, and a manual open works once the store does", async () => {
    const { failing, barrier, lane, read, events } = await setUp();
    failing.add('barrier.actuation').add('alarm');
    read(ALLOWED);
    await settle();
    const [decision] = events('decision');
    expect(decision!.payload).toMatchObject({ action: 'open', reason: 'allowed' });
    expect(barrier.opens).toEqual([]); // never an open without its record
    expect(lane.snapshot()).toMatchObject({
      phase: 'held',
      holds: [
        {
          holdId: decision!.eventId,
          plate: ALLOWED,
          reason: 'barrier-not-opened',
          detail: 'not opened: the open could not be recorded (database or disk is full)',
        },
      ],
      storeError: 'database or disk is full',
    });
    expect(lane.stats()).toMatchObject({ storeError: 'database or disk is full', actuations: 0 });
    expect(lane.stats().storeFailures).toBeGreaterThanOrEqual(1);

    // While the store fails, the operator's open is refused and changes nothing.
    expect(() => lane.manualOpen(operator)).toThrow(LaneStoreError);
    expect(lane.snapshot().phase).toBe('held');
    await settle();
    expect(barrier.opens).toEqual([]);

    failing.clear();
    const opened = lane.manualOpen(operator);
    expect(opened.ok).toBe(true);
    await settle();
    expect(barrier.opens).toHaveLength(1);
    expect(lane.snapshot()).toMatchObject({ phase: 'open', storeError: null });
    const types = events().map((e) =>
      e.type === 'alarm'
        ? `alarm:${e.payload.alarm as string}`
        : e.type === 'barrier.actuation'
          ? `actuation:${e.payload.phase as string}`
          : e.type,
    );
    expect(types).toEqual([
      'decision',
      'operator.action',
      'actuation:requested',
      'alarm:lane.store-recovered',
      'actuation:result',
    ]);
    expect(events('alarm')[0]!.payload).toMatchObject({
      detail: expect.stringContaining(
        'write(s) failed since 2026-11-25T03:00:00.000Z (last: database or disk is full)',
      ),
    });
    expect(events('operator.action')[0]!.payload).toMatchObject({
      action: 'manual-open',
      holdId: decision!.eventId,
      source: 'page',
    });
  });

  it('the disk fills while the barrier opens: the result is not recorded, the lane still leaves opening, and a later manual open is not busy', async () => {
    const { store, barrier, lane, read, events, tick } = await setUp();
    barrier.autoAnswer = null;
    read(ALLOWED);
    await settle();
    expect(barrier.opens).toHaveLength(1);
    expect(lane.snapshot().phase).toBe('opening');
    fillUp(store);
    barrier.answer({ ok: true, sent: ['A0 01 01 A2', 'A0 01 00 A1'], confirmed: false });
    await settle();
    expect(lane.snapshot()).toMatchObject({ phase: 'open', storeError: 'database or disk is full' });
    await tick(5000); // passTimeoutMs: the visit ends, unrecorded
    expect(lane.snapshot().phase).toBe('idle');
    expect(events('barrier.actuation').map((e) => e.payload.phase)).toEqual(['requested']);
    expect(events('vehicle')).toEqual([]);

    expect(() => lane.manualOpen(operator)).toThrow(
      'the event store could not record it, so nothing was done: database or disk is full',
    );
    makeRoom(store);
    barrier.autoAnswer = { ok: true, sent: [], confirmed: false };
    expect(lane.manualOpen(operator).ok).toBe(true);
    await settle();
    expect(barrier.opens).toHaveLength(2);
    expect(lane.snapshot()).toMatchObject({ phase: 'open', storeError: null });
  });

  it('a read whose decision cannot be recorded is not acted on; the next read of the vehicle is, once the store works', async () => {
    const { failing, barrier, lane, read, events } = await setUp();
    failing.add('*');
    read(ALLOWED);
    await settle();
    expect(events()).toEqual([]);
    expect(barrier.opens).toEqual([]);
    expect(lane.snapshot()).toMatchObject({ phase: 'idle', storeError: 'database or disk is full' });
    failing.clear();
    read(ALLOWED);
    await settle();
    expect(barrier.opens).toHaveLength(1);
    expect(lane.snapshot().storeError).toBeNull();
  });
});

describe('a lane whose barrier never answers', () => {
  it('after openingTimeoutMs the open is recorded as failed (no-answer) and the vehicle held with an alarm; the late answer is recorded and changes nothing', async () => {
    const { barrier, lane, read, events, tick } = await setUp();
    barrier.autoAnswer = null;
    read(ALLOWED);
    await settle();
    await tick(OPENING_TIMEOUT_MS - 500);
    expect(lane.snapshot().phase).toBe('opening');
    await tick(600);
    const [requested, result] = events('barrier.actuation');
    expect(result!.payload).toMatchObject({
      phase: 'result',
      requestId: requested!.eventId,
      ok: false,
      outcome: 'no-answer',
      error: `no answer from the barrier within ${OPENING_TIMEOUT_MS} ms`,
    });
    expect(lane.snapshot()).toMatchObject({
      phase: 'held',
      holds: [{ holdId: result!.eventId, plate: ALLOWED, reason: 'barrier-not-opened' }],
    });
    expect(events('alarm').map((e) => e.payload.alarm)).toEqual(['lane.barrier-not-opened']);

    barrier.answer({ ok: true, sent: ['A0 01 01 A2', 'A0 01 00 A1'], confirmed: false });
    await settle();
    expect(events('barrier.actuation')[2]!.payload).toMatchObject({
      phase: 'result',
      requestId: requested!.eventId,
      ok: true,
      late: true,
    });
    expect(lane.snapshot().phase).toBe('held');

    barrier.autoAnswer = { ok: true, sent: [], confirmed: false };
    expect(lane.manualOpen(operator).ok).toBe(true);
    await settle();
    expect(barrier.opens).toHaveLength(2);
  });
});
