import { afterEach, describe, expect, it } from 'vitest';
import { laneDecisionsSchema } from '../../src/config/decisions.js';
import { yardSchema } from '../../src/config/yards.js';
import { EventBus } from '../../src/core/bus.js';
import { silentLogger } from '../../src/core/log.js';
import type { GateEvents } from '../../src/gate/build-gate.js';
import { LaneDecider } from '../../src/lane/deciding/decider.js';
import type { Hold, LanePhase } from '../../src/lane/flow/lane-state.js';
import type { Store } from '../../src/store/store.js';
import type { StoredEvent } from '../../src/store/types.js';
import { YardService, YardStoreError, YARD_TICK_MS, type YardLane } from '../../src/yard/yard-service.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { useTempDirs } from '../helpers/store-fixtures.js';
import { voted } from '../helpers/voted.js';

// The yard over a real store, with the real decider asking it, and lanes that only hold and release.

class FakeLane implements YardLane {
  phase: LanePhase = 'idle';
  holds: Hold[] = [];
  released: { holdId: string; cause: string }[] = [];
  constructor(readonly laneId: string) {}
  snapshot() {
    return { phase: this.phase, holds: this.holds };
  }
  releaseHold(holdId: string, cause: 'yard-room' | 'yard-call'): boolean {
    if (this.phase !== 'held' || this.holds[0]?.holdId !== holdId) return false;
    this.released.push({ holdId, cause });
    this.holds = this.holds.slice(1);
    this.phase = 'opening';
    return true;
  }
}

const temp = useTempDirs();
const operator = { operator: 'tran.thi.b', reason: 'counted at the yard gate', source: 'page' as const };
const running: YardService[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

interface Rig {
  clock: FakeClock;
  store: Store;
  bus: EventBus<GateEvents>;
  yard: YardService;
  entry: FakeLane;
  exit: FakeLane;
  decide(laneId: string, plate: string, otherPlates?: string[]): StoredEvent;
  pass(
    laneId: string,
    plate: string | null,
    ids: { decisionId?: string | null; holdId?: string | null },
    outcome?: string,
  ): void;
  events(type: string): StoredEvent[];
  restart(): Promise<YardService>;
}

async function setUp(yard: Record<string, unknown> = {}, dir = temp.make()): Promise<Rig> {
  const clock = new FakeClock(Date.UTC(2026, 11, 4, 1, 0, 0));
  const store = temp.open(dir, {}, clock);
  store.lists.applyFull('allow', 1, [
    { key: '29C12345' },
    { key: '30A11111' },
    { key: '51B06789' },
    { key: '15C22222', vehicleClass: 'truck' },
    { key: 'T2513579', pairedPlate: '云A68420' },
    { key: '云A12345' },
  ]);
  store.lists.applyFull('deny', 1, []);
  store.lists.applyFull('watch', 1, []);
  const bus = new EventBus<GateEvents>(silentLogger);
  const entry = new FakeLane('in-1');
  const exit = new FakeLane('out-1');
  const config = yardSchema.parse({ id: 'kth-yard', capacity: 2, entryLanes: ['in-1'], exitLanes: ['out-1'], ...yard });
  const build = () =>
    new YardService(
      { bus, log: silentLogger, clock },
      { sink: store.events, records: store.yards, lanes: () => [entry, exit] },
      [config],
    );
  let service = build();
  running.push(service);
  await service.start();
  const decider = new LaneDecider(
    { bus, log: silentLogger, clock },
    { sink: store.events, lists: store.lists, guard: service },
  );
  const rules = laneDecisionsSchema.parse({});
  const rig: Rig = {
    clock,
    store,
    bus,
    get yard() {
      return service;
    },
    entry,
    exit,
    decide(laneId, plate, otherPlates = []) {
      const { decision, event } = decider.decide(
        { id: laneId, direction: 'entry', rules },
        voted(plate, { others: otherPlates }),
      );
      // As the lane machine does: a hold comes to the barrier when the lane is free.
      if (decision.action === 'hold') {
        const lane = laneId === 'in-1' ? entry : exit;
        lane.holds.push({
          holdId: event.eventId,
          plate,
          display: plate,
          reason: decision.reason,
          detail: decision.detail,
          createdAt: event.ts,
        });
        if (lane.phase === 'idle') lane.phase = 'held';
        bus.emit('lane.state', { laneId, state: {} as never });
      }
      return event;
    },
    pass(laneId, plate, ids, outcome = 'passed') {
      const event = store.events.append({
        type: 'vehicle',
        laneId,
        payload: { outcome, plate, decisionId: ids.decisionId ?? null, holdId: ids.holdId ?? null, durationMs: 1000 },
      });
      bus.emit('lane.recorded', { laneId, event });
    },
    events(type) {
      return store.db
        .prepare<[string], { event_id: string }>('SELECT event_id FROM events WHERE type = ? ORDER BY rowid')
        .all(type)
        .map((r) => store.events.get(r.event_id)!.event);
    },
    async restart() {
      await service.stop();
      service = build();
      running.push(service);
      await service.start();
      return service;
    },
  };
  return rig;
}

describe('YardService: visits', () => {
  it('starts a visit on a passage at an entry lane and ends it at an exit lane, with dwell', async () => {
    const rig = await setUp();
    const decision = rig.decide('in-1', '29C12345');
    expect(decision.payload).toMatchObject({ action: 'open', reason: 'allowed' });
    expect(rig.yard.state('kth-yard')).toMatchObject({ occupancy: 0, reserved: 1 });
    rig.pass('in-1', '29C12345', { decisionId: decision.eventId });
    const entered = rig.events('yard.entered');
    expect(entered).toHaveLength(1);
    expect(entered[0]).toMatchObject({
      laneId: 'in-1',
      payload: {
        yardId: 'kth-yard',
        plate: '29C12345',
        decisionId: decision.eventId,
        occupancy: 1,
        overCapacity: false,
      },
    });
    expect(rig.yard.state('kth-yard')).toMatchObject({
      occupancy: 1,
      reserved: 0,
      vehicles: [{ visitId: entered[0]!.eventId, plate: '29C12345', entryLaneId: 'in-1', dwellMs: 0 }],
    });
    rig.clock.advance(90_000);
    const out = rig.decide('out-1', '29C12345');
    rig.pass('out-1', '29C12345', { decisionId: out.eventId });
    expect(rig.events('yard.left')[0]).toMatchObject({
      laneId: 'out-1',
      payload: {
        visitId: entered[0]!.eventId,
        plate: '29C12345',
        match: 'exact',
        flagged: false,
        dwellMs: 90_000,
        occupancy: 0,
      },
    });
    expect(rig.yard.state('kth-yard')).toMatchObject({ occupancy: 0, vehicles: [] });
  });

  it('matches an exit read one look-alike away, flagged, and a paired plate as the same vehicle', async () => {
    const rig = await setUp({ capacity: 5 });
    for (const plate of ['51B06789', 'T2513579'])
      rig.pass('in-1', plate, { decisionId: rig.decide('in-1', plate).eventId });
    rig.pass('out-1', '51806789', {});
    rig.pass('out-1', '云A68420', { decisionId: rig.decide('out-1', '云A68420').eventId });
    const left = rig.events('yard.left').map((e) => e.payload);
    expect(left).toMatchObject([
      { plate: '51B06789', readPlate: '51806789', match: 'look-alike', flagged: true },
      { plate: 'T2513579', readPlate: '云A68420', match: 'paired', flagged: false },
    ]);
    expect(rig.yard.state('kth-yard')!.occupancy).toBe(0);
  });

  it("keeps a truck's other plate when its Chinese plate is read first and the permit is under the Vietnamese one", async () => {
    const rig = await setUp({ capacity: 5, callForward: { required: true, expiresMinutes: 30 } });
    const entry = rig.decide('in-1', '云A68420', ['T2513579']);
    expect(entry.payload).toMatchObject({ action: 'open', reason: 'allowed' });
    rig.pass('in-1', '云A68420', { decisionId: entry.eventId });
    expect(rig.events('yard.entered')[0]!.payload).toMatchObject({ plate: '云A68420', pairedPlate: 'T2513579' });
    rig.yard.call('kth-yard', 'T2513579', operator);
    expect(rig.yard.state('kth-yard')!.vehicles).toMatchObject([{ plate: '云A68420', called: true }]);
    // Whichever plate the exit camera agrees on first, it is the called truck.
    expect(
      rig.yard.check('out-1', { plate: '云A68420', kind: null, pairedPlate: 'T2513579', vehicleClass: null }),
    ).toBeNull();
    rig.pass('out-1', 'T2513579', {});
    expect(rig.events('yard.left')[0]!.payload).toMatchObject({
      plate: '云A68420',
      match: 'paired',
      callId: expect.any(String),
    });
  });

  it('adds a truck by hand under both plates', async () => {
    const rig = await setUp({ capacity: 5 });
    rig.yard.addVehicle('kth-yard', { plate: 'T2513579', pairedPlate: '云A68420' }, operator);
    expect(rig.yard.addVehicle('kth-yard', { plate: '云A68420' }, operator)).toMatchObject({ code: 'already-inside' });
    rig.pass('out-1', '云A68420', {});
    expect(rig.events('yard.left')[0]!.payload).toMatchObject({ plate: 'T2513579', match: 'paired' });
  });

  it('alarms an exit with no entry on record, and an entry of a vehicle already inside', async () => {
    const rig = await setUp({ capacity: 5 });
    rig.pass('out-1', '30A11111', {});
    rig.pass('in-1', '29C12345', {});
    const first = rig.events('yard.entered')[0]!;
    rig.pass('in-1', '29C12345', {});
    const alarms = rig.events('alarm').map((e) => e.payload);
    expect(alarms).toMatchObject([
      { alarm: 'yard.exit-without-entry', plate: '30A11111' },
      { alarm: 'yard.already-inside', plate: '29C12345', visitId: first.eventId },
    ]);
    expect(rig.events('yard.left')[0]!.payload).toMatchObject({ visitId: first.eventId, how: 're-entered' });
    expect(rig.yard.state('kth-yard')!.occupancy).toBe(1);
  });

  it('gives back the place promised to a vehicle that turned back', async () => {
    const rig = await setUp({ capacity: 1 });
    const d = rig.decide('in-1', '29C12345');
    expect(rig.decide('in-1', '30A11111').payload).toMatchObject({ action: 'hold', reason: 'yard-full' });
    rig.pass('in-1', '29C12345', { decisionId: d.eventId }, 'not-passed');
    expect(rig.yard.state('kth-yard')).toMatchObject({ occupancy: 0, reserved: 1 }); // now promised to the held one
    expect(rig.entry.released).toEqual([{ holdId: rig.events('decision')[1]!.eventId, cause: 'yard-room' }]);
  });

  it('counts places per class', async () => {
    const rig = await setUp({ capacity: 5, classes: [{ id: 'truck', capacity: 1, plateKinds: [] }] });
    rig.pass('in-1', '15C22222', { decisionId: rig.decide('in-1', '15C22222').eventId });
    expect(rig.events('yard.entered')[0]!.payload).toMatchObject({ vehicleClass: 'truck' });
    expect(rig.yard.state('kth-yard')!.classes).toEqual([{ id: 'truck', capacity: 1, occupancy: 1 }]);
    expect(rig.decide('in-1', '29C12345').payload).toMatchObject({ action: 'open' });
  });
});

describe('YardService: capacity-aware entry', () => {
  it('holds yard-full when the places are taken or promised, and lets the oldest held one in when a vehicle leaves', async () => {
    const rig = await setUp({ capacity: 2 });
    const a = rig.decide('in-1', '29C12345');
    const b = rig.decide('in-1', '30A11111');
    // Neither has passed yet, but both places are promised: the third is held.
    const c = rig.decide('in-1', '51B06789');
    expect(c.payload).toMatchObject({ action: 'hold', reason: 'yard-full' });
    expect(String(c.payload.detail)).toContain('is full (0 of 2 inside, 2 more on the way in)');
    rig.pass('in-1', '29C12345', { decisionId: a.eventId });
    rig.pass('in-1', '30A11111', { decisionId: b.eventId });
    expect(rig.yard.state('kth-yard')).toMatchObject({
      occupancy: 2,
      full: true,
      holds: [{ laneId: 'in-1', holdId: c.eventId, offered: false }],
    });
    expect(rig.entry.released).toEqual([]);
    rig.pass('out-1', '29C12345', {});
    expect(rig.entry.released).toEqual([{ holdId: c.eventId, cause: 'yard-room' }]);
    // The place is promised to it: nobody else gets in before it passes.
    expect(rig.decide('in-1', '云A12345').payload).toMatchObject({ reason: 'yard-full' });
    rig.pass('in-1', '51B06789', { decisionId: c.eventId });
    expect(rig.events('yard.entered').at(-1)!.payload).toMatchObject({
      plate: '51B06789',
      overCapacity: false,
      occupancy: 2,
    });
  });

  it('offers the place to the operator instead, when configured, and keeps it for the held vehicle', async () => {
    const rig = await setUp({ capacity: 1, whenRoom: 'offer' });
    rig.pass('in-1', '29C12345', { decisionId: rig.decide('in-1', '29C12345').eventId });
    const held = rig.decide('in-1', '30A11111');
    rig.pass('out-1', '29C12345', {});
    expect(rig.entry.released).toEqual([]);
    expect(rig.yard.state('kth-yard')).toMatchObject({
      occupancy: 0,
      reserved: 1,
      holds: [{ holdId: held.eventId, offered: true }],
    });
    expect(rig.decide('in-1', '51B06789').payload).toMatchObject({ reason: 'yard-full' });
  });

  it("flags an operator's override past the capacity", async () => {
    const rig = await setUp({ capacity: 1 });
    rig.pass('in-1', '29C12345', { decisionId: rig.decide('in-1', '29C12345').eventId });
    const held = rig.decide('in-1', '30A11111');
    // The operator confirmed the hold: the lane opened without the yard's promise.
    rig.pass('in-1', '30A11111', { decisionId: held.eventId });
    expect(rig.events('yard.entered').at(-1)!.payload).toMatchObject({ overCapacity: true, occupancy: 2, capacity: 1 });
  });
});

describe('YardService: restarts', () => {
  it('finds the vehicles inside, their dwell and their overstays as they were', async () => {
    const dir = temp.make();
    const rig = await setUp({ capacity: 5, overstayMinutes: [1, 2] }, dir);
    rig.pass('in-1', '29C12345', { decisionId: rig.decide('in-1', '29C12345').eventId });
    rig.clock.advance(30_000);
    rig.pass('in-1', 'T2513579', { decisionId: rig.decide('in-1', 'T2513579').eventId });
    rig.clock.advance(40_000); // 29C12345 has been inside 70 s
    expect(rig.events('yard.overstay').map((e) => e.payload)).toMatchObject([
      { plate: '29C12345', level: 1, thresholdMinutes: 1 },
    ]);
    const before = rig.yard.state('kth-yard')!;
    const after = (await rig.restart()).state('kth-yard')!;
    expect(after.vehicles).toEqual(before.vehicles);
    expect(after.occupancy).toBe(2);
    rig.clock.advance(YARD_TICK_MS);
    // Not alarmed again after the restart; the paired plate still matches.
    expect(rig.events('yard.overstay')).toHaveLength(1);
    rig.pass('out-1', '云A68420', {});
    expect(rig.events('yard.left')[0]!.payload).toMatchObject({ plate: 'T2513579', match: 'paired' });
  });
});

describe('YardService: alarms over time', () => {
  it('raises each overstay threshold once per vehicle, and a yard full too long once per spell', async () => {
    const rig = await setUp({ capacity: 1, overstayMinutes: [1, 2], fullAlarmMinutes: 1.5 });
    rig.pass('in-1', '29C12345', { decisionId: rig.decide('in-1', '29C12345').eventId });
    for (let i = 0; i < 40; i++) rig.clock.advance(YARD_TICK_MS); // 200 s
    expect(rig.events('yard.overstay').map((e) => e.payload.level)).toEqual([1, 2]);
    expect(rig.events('alarm').map((e) => e.payload)).toMatchObject([
      { alarm: 'yard.full', occupancy: 1, capacity: 1 },
    ]);
    rig.pass('out-1', '29C12345', {});
    rig.pass('in-1', '30A11111', {});
    for (let i = 0; i < 20; i++) rig.clock.advance(YARD_TICK_MS);
    expect(rig.events('alarm').filter((e) => e.payload.alarm === 'yard.full')).toHaveLength(2);
  });
});

describe('YardService: calls forward', () => {
  it('lets out only called vehicles in the order called, releases the held one when its turn comes, and expires calls', async () => {
    const rig = await setUp({ capacity: 5, callForward: { required: true, expiresMinutes: 1 } });
    for (const plate of ['29C12345', '30A11111']) rig.pass('in-1', plate, {});
    const notCalled = rig.decide('out-1', '30A11111');
    expect(notCalled.payload).toMatchObject({ action: 'hold', reason: 'not-called' });
    expect(rig.yard.call('kth-yard', '29C12345', operator)).toMatchObject({ ok: true });
    expect(rig.yard.call('kth-yard', '30A11111', operator)).toMatchObject({ ok: true });
    // 30A11111 is held at the barrier but 29C12345 was called first.
    expect(rig.exit.released).toEqual([]);
    expect(rig.yard.call('kth-yard', '30A11111', operator)).toMatchObject({ ok: false, code: 'already-called' });
    rig.clock.advance(61_000);
    expect(rig.events('yard.call').map((e) => e.payload.action)).toEqual(['called', 'called', 'expired', 'expired']);
    expect(rig.yard.state('kth-yard')!.calls).toEqual([]);
    // Called again: now it is first, and the held vehicle goes.
    rig.yard.call('kth-yard', '30A11111', operator);
    expect(rig.exit.released).toEqual([{ holdId: notCalled.eventId, cause: 'yard-call' }]);
    rig.pass('out-1', '30A11111', { decisionId: notCalled.eventId });
    expect(rig.events('yard.left')[0]!.payload).toMatchObject({
      plate: '30A11111',
      callId: rig.events('yard.call')[4]!.eventId,
    });
    expect(rig.yard.state('kth-yard')!.calls).toEqual([]);
  });

  it('lets out a held truck when central called it by its paired plate', async () => {
    const rig = await setUp({ capacity: 5, callForward: { required: true, expiresMinutes: 30 } });
    rig.pass('in-1', 'T2513579', { decisionId: rig.decide('in-1', 'T2513579').eventId });
    const held = rig.decide('out-1', 'T2513579');
    expect(held.payload).toMatchObject({ reason: 'not-called' });
    rig.yard.call('kth-yard', '云A68420', operator);
    expect(rig.exit.released).toEqual([{ holdId: held.eventId, cause: 'yard-call' }]);
  });

  it('cancels a call, and refuses one for an unknown yard', async () => {
    const rig = await setUp();
    expect(rig.yard.cancelCall('kth-yard', '29C12345', operator)).toMatchObject({ ok: false, code: 'no-such-call' });
    rig.yard.call('kth-yard', '29C12345', operator);
    expect(rig.yard.cancelCall('kth-yard', '29C12345', operator)).toMatchObject({ ok: true });
    expect(rig.events('yard.call').at(-1)!.payload).toMatchObject({ action: 'cancelled', operator: 'tran.thi.b' });
    expect(rig.yard.call('other', '29C12345', operator)).toMatchObject({ ok: false, code: 'no-such-yard' });
  });
});

describe('YardService: corrections', () => {
  it('marks a vehicle as left and adds one that came in unseen, audited', async () => {
    const rig = await setUp({ capacity: 5, classes: [{ id: 'car', capacity: 3, plateKinds: ['car'] }] });
    rig.pass('in-1', '29C12345', {});
    expect(rig.yard.markLeft('kth-yard', { plate: '29C12345' }, operator)).toMatchObject({ ok: true });
    expect(rig.events('operator.action')[0]).toMatchObject({
      laneId: 'gate',
      payload: { action: 'yard.mark-left', plate: '29C12345', operator: 'tran.thi.b', source: 'page' },
    });
    expect(rig.events('yard.left')[0]!.payload).toMatchObject({ how: 'correction', plate: '29C12345' });
    expect(rig.yard.markLeft('kth-yard', { plate: '29C12345' }, operator)).toMatchObject({
      ok: false,
      code: 'not-inside',
    });

    const enteredAt = rig.clock.now() - 3_600_000;
    expect(rig.yard.addVehicle('kth-yard', { plate: '30A11111', enteredAt }, operator)).toMatchObject({ ok: true });
    expect(rig.yard.state('kth-yard')!.vehicles[0]).toMatchObject({ plate: '30A11111', enteredAt, dwellMs: 3_600_000 });
    expect(rig.yard.addVehicle('kth-yard', { plate: '30A11111' }, operator)).toMatchObject({
      ok: false,
      code: 'already-inside',
    });
    expect(rig.yard.addVehicle('kth-yard', { plate: '29C12345', vehicleClass: 'bus' }, operator)).toMatchObject({
      ok: false,
      message: 'vehicleClass: kth-yard has no class "bus" (classes: car)',
    });
    expect(
      rig.yard.addVehicle('kth-yard', { plate: '29C12345', enteredAt: rig.clock.now() + 1 }, operator),
    ).toMatchObject({
      ok: false,
      code: 'invalid',
    });
  });

  it("follows a command's transaction: a call or correction rolled back with it leaves the yard as it was", async () => {
    const rig = await setUp({ capacity: 5 });
    rig.pass('in-1', '29C12345', {});
    expect(() =>
      rig.store.events.transaction(() => {
        rig.yard.call('kth-yard', '29C12345', operator);
        rig.yard.markLeft('kth-yard', { plate: '29C12345' }, operator);
        rig.yard.addVehicle('kth-yard', { plate: '30A11111' }, operator);
        throw new Error('the command failed after');
      }),
    ).toThrow('the command failed after');
    expect(rig.yard.state('kth-yard')).toMatchObject({ occupancy: 1, calls: [], vehicles: [{ plate: '29C12345' }] });
    expect(rig.events('yard.call')).toEqual([]);
  });

  it('does nothing and says so when the store cannot record a correction', async () => {
    const rig = await setUp();
    rig.pass('in-1', '29C12345', {});
    rig.store.db.exec('DROP TABLE yard_calls');
    expect(() => rig.yard.call('kth-yard', '29C12345', operator)).toThrow(YardStoreError);
    expect(rig.events('yard.call')).toEqual([]);
    expect(rig.yard.state('kth-yard')!.calls).toEqual([]);
  });
});
