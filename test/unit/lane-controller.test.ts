import { afterEach, describe, expect, it } from 'vitest';
import { createBarrier, openingTimeoutMs, type BuiltBarrier } from '../../src/barrier/factory.js';
import { barrierSchema } from '../../src/config/barrier.js';
import { laneDecisionsSchema } from '../../src/config/decisions.js';
import { flowSchema } from '../../src/config/flow.js';
import { EventBus } from '../../src/core/bus.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import type { LaneEvents } from '../../src/lane/events.js';
import { LaneController } from '../../src/lane/flow/lane-controller.js';
import { LaneDecider, type ListSource } from '../../src/lane/deciding/decider.js';
import type { Hold } from '../../src/lane/flow/lane-state.js';
import { pendingHolds } from '../../src/lane/flow/pending-holds.js';
import type { StoredList } from '../../src/store/lists.js';
import { settle } from '../helpers/fake-serial-port.js';
import { MemoryOutbox } from '../helpers/memory-outbox.js';
import { voted } from '../helpers/voted.js';

// The controller with the simulated Modbus board behind the real driver, all on a fake clock.

class Lists implements ListSource {
  constructor(private readonly lists: Map<string, StoredList>) {}
  get(name: string) {
    return this.lists.get(name);
  }
  onChange() {
    return () => {}; // the lists of these tests never change
  }
}

const operator = { operator: 'nguyen.van.a', reason: 'documents checked at the window', source: 'page' as const };

let stopAll: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stopAll?.();
  stopAll = null;
});

/** `restart`: the holds a previous run left pending, and whether a vehicle is on the loop as the lane starts. */
async function setUp(
  barrier: Record<string, unknown> = { driver: 'simulator', pulseMs: 100, pollMs: 20, openTimeoutMs: 3000 },
  restart?: { holds: Hold[]; loop: boolean },
) {
  const clock = new FakeClock(Date.UTC(2026, 10, 25, 3, 0, 0));
  const bus = new EventBus<LaneEvents>(silentLogger);
  const outbox = new MemoryOutbox(clock, 'mlt-kth');
  const now = clock.now();
  const lists = new Lists(
    new Map([
      ['allow', { version: 1, receivedAt: now, entries: [{ key: '29C12345' }] }],
      ['deny', { version: 1, receivedAt: now, entries: [] }],
      ['watch', { version: 1, receivedAt: now, entries: [{ key: '云A54321', reason: 'customs' }] }],
    ]),
  );
  const decider = new LaneDecider({ bus, log: silentLogger, clock }, { sink: outbox, lists });
  const config = barrierSchema.parse(barrier);
  let controller: LaneController | null = null;
  const built: BuiltBarrier | null = createBarrier(config, {
    clock,
    log: silentLogger,
    onStatus: (s) => controller?.onBarrierStatus(s),
    simulatorTimings: { openMs: 300, holdOpenMs: 500, closeMs: 300 },
  });
  controller = new LaneController(
    { bus, log: silentLogger, clock },
    { decider, sink: outbox, barrier: built?.driver ?? null },
    {
      lane: { id: 'entry-1', direction: 'entry', rules: laneDecisionsSchema.parse({}) },
      flow: flowSchema.parse({ waitAlarmMs: 5000, passTimeoutMs: 4000, cooldownMs: 1000 }),
      barrierDriver: config.driver,
      loopWired: config.driver === 'simulator',
      commandDeadlineMs: config.commandDeadlineMs,
      openingTimeoutMs: openingTimeoutMs(config),
    },
    restart?.holds,
  );
  built?.simulator?.setLoop(restart?.loop ?? false);
  await controller.start();
  const lane = controller;
  stopAll = async () => {
    await lane.stop();
    built?.simulator?.stop();
  };
  const tick = async (ms: number) => {
    for (let t = 0; t < ms; t += 20) {
      clock.advance(20);
      await settle();
    }
  };
  const events = () => outbox.pending(1000).map((e) => e.event);
  const types = () =>
    events().map((e) =>
      e.type === 'alarm'
        ? `alarm:${e.payload.alarm as string}`
        : e.type === 'barrier.actuation'
          ? `actuation:${e.payload.phase as string}`
          : e.type,
    );
  await tick(60);
  return { clock, bus, controller: lane, sim: built?.simulator ?? null, tick, events, types };
}

describe('LaneController', () => {
  it('allowed plate: decision, then the actuation requested before one open on the wire, then the vehicle passed', async () => {
    const { controller, sim, tick, events, types } = await setUp();
    sim!.setLoop(true);
    await tick(60);
    controller.onRead(voted('29C12345'));
    await tick(600);
    expect(sim!.writes().filter((w) => w[4] === 0xff)).toHaveLength(1);
    sim!.setLoop(false);
    await tick(1500);
    expect(types()).toEqual(['decision', 'actuation:requested', 'actuation:result', 'vehicle']);
    expect(events()[2]!.payload).toMatchObject({
      ok: true,
      outcome: 'opened',
      confirmed: true,
      sent: ['01 05 00 00 FF 00 8C 3A', '01 05 00 00 00 00 CD CA'],
    });
    expect(events()[3]!.payload).toMatchObject({ outcome: 'passed', plate: '29C12345' });
    expect(controller.snapshot()).toMatchObject({ phase: 'idle', barrier: { driver: 'simulator', state: 'closed' } });
  });

  it('a repeat read of the vehicle in hand is neither decided nor opened for again', async () => {
    const { controller, sim, tick, types } = await setUp();
    controller.onRead(voted('29C12345'));
    await tick(100);
    controller.onRead(voted('29C12345'));
    await tick(600);
    expect(types().filter((t) => t === 'decision')).toHaveLength(1);
    expect(sim!.writes().filter((w) => w[4] === 0xff)).toHaveLength(1);
    expect(controller.stats()).toMatchObject({ reads: 2, duplicates: 1, actuations: 1 });
  });

  it('watch list: an alarm event and nothing on the wire', async () => {
    const { controller, sim, tick, events, types } = await setUp();
    controller.onRead(voted('云A54321'));
    await tick(500);
    expect(types()).toEqual(['decision', 'alarm:lane.watch-list']);
    expect(events()[1]!.payload).toMatchObject({ plate: '云A54321', decisionId: events()[0]!.eventId });
    expect(sim!.writes()).toEqual([]);
    expect(controller.snapshot().phase).toBe('denied');
  });

  it('unknown plate: held; the confirm is recorded (who, why) before the open it causes', async () => {
    const { controller, sim, tick, events, types } = await setUp();
    controller.onRead(voted('29C99999'));
    const [hold] = controller.snapshot().holds;
    expect(hold).toMatchObject({ plate: '29C99999', reason: 'unknown-plate', holdId: events()[0]!.eventId });
    await tick(500);
    expect(sim!.writes()).toEqual([]);
    const result = controller.confirm(hold!.holdId, operator);
    expect(result.ok).toBe(true);
    await tick(600);
    expect(types()).toEqual(['decision', 'operator.action', 'actuation:requested', 'actuation:result']);
    expect(events()[1]!.payload).toMatchObject({
      action: 'confirm',
      holdId: hold!.holdId,
      plate: '29C99999',
      holdReason: 'unknown-plate',
      ...operator,
    });
    expect(events()[2]!.payload).toMatchObject({ cause: 'confirm', holdId: hold!.holdId });
    expect(sim!.writes().filter((w) => w[4] === 0xff)).toHaveLength(1);
    // The same hold again: already resolved.
    expect(controller.confirm(hold!.holdId, operator)).toMatchObject({ ok: false, refusal: { code: 'no-such-hold' } });
  });

  it('the gate releases the held vehicle at the barrier: one open, recorded with its cause, no operator action', async () => {
    const { controller, sim, tick, events, types } = await setUp();
    controller.onRead(voted('29C99999'));
    controller.onRead(voted('29C88888'));
    const [first, second] = controller.snapshot().holds;
    // Only the vehicle at the barrier can be let through.
    expect(controller.releaseHold(second!.holdId, 'yard-room')).toBe(false);
    expect(controller.releaseHold(first!.holdId, 'yard-room')).toBe(true);
    await tick(600);
    expect(types()).toEqual(['decision', 'decision', 'actuation:requested', 'actuation:result']);
    expect(events()[2]!.payload).toMatchObject({ cause: 'yard-room', holdId: first!.holdId, plate: '29C99999' });
    expect(sim!.writes().filter((w) => w[4] === 0xff)).toHaveLength(1);
    expect(controller.releaseHold(first!.holdId, 'yard-room')).toBe(false);
  });

  it("a listener of the lane's records finds the lane already in the state the step took it to", async () => {
    const { controller, bus } = await setUp();
    const seen: string[] = [];
    bus.on(seen, 'lane.recorded', ({ event }) => seen.push(`${event.type}:${controller.snapshot().phase}`));
    controller.onRead(voted('29C99999'));
    controller.refuse(controller.snapshot().holds[0]!.holdId, operator);
    // The decision is the decider's (recorded before the lane steps); the refusal's records come after the step.
    expect(seen).toEqual(['operator.action:idle', 'vehicle:idle']);
  });

  it('refusing a hold records it and ends the visit without touching the barrier', async () => {
    const { controller, sim, tick, types } = await setUp();
    controller.onRead(voted('29C99999'));
    const holdId = controller.snapshot().holds[0]!.holdId;
    expect(controller.refuse(holdId, operator).ok).toBe(true);
    await tick(200);
    expect(types()).toEqual(['decision', 'operator.action', 'vehicle']);
    expect(sim!.writes()).toEqual([]);
  });

  it('a vehicle held too long raises vehicle-waiting once', async () => {
    const { controller, tick, types } = await setUp();
    controller.onRead(voted('29C99999'));
    await tick(12_000);
    expect(types().filter((t) => t === 'alarm:lane.vehicle-waiting')).toHaveLength(1);
  });

  it('a second plate while the boom is up: a tailgating alarm and a lane-busy hold, never a second open', async () => {
    const { controller, sim, tick, events, types } = await setUp();
    sim!.setLoop(true);
    controller.onRead(voted('29C12345'));
    await tick(600);
    controller.onRead(voted('29C12345'.replace('5', '6'))); // an unknown one; same outcome for an allowed one
    await tick(100);
    expect(types()).toContain('alarm:lane.tailgating');
    expect(sim!.writes().filter((w) => w[4] === 0xff)).toHaveLength(1);
    expect(controller.snapshot().holds).toHaveLength(1);
    expect(
      events()
        .filter((e) => e.type === 'decision')
        .map((e) => e.payload.action),
    ).toEqual(['open', 'hold']);
  });

  it('no barrier driver: the open is recorded as no-barrier and the vehicle passes unconfirmed', async () => {
    const { controller, tick, events, types } = await setUp({ driver: 'none' });
    controller.onRead(voted('29C12345'));
    await tick(5000);
    expect(types()).toEqual(['decision', 'actuation:requested', 'actuation:result', 'vehicle']);
    expect(events()[2]!.payload).toMatchObject({ ok: true, outcome: 'no-barrier', sent: [] });
    expect(events()[3]!.payload).toMatchObject({ outcome: 'passed-unconfirmed' });
    expect(controller.snapshot().barrier).toBeNull();
  });

  it('manual open: audited, one open; a second while opening is refused as busy', async () => {
    const { controller, sim, tick, types } = await setUp();
    expect(controller.manualOpen(operator).ok).toBe(true);
    expect(controller.manualOpen(operator)).toMatchObject({ ok: false, refusal: { code: 'busy' } });
    await tick(600);
    expect(types()).toEqual(['operator.action', 'actuation:requested', 'actuation:result']);
    expect(sim!.writes().filter((w) => w[4] === 0xff)).toHaveLength(1);
  });

  it('the holds its recorded events leave pending are always the holds it keeps (what a restart restores)', async () => {
    const { controller, sim, tick, events } = await setUp();
    const kept = () => controller.snapshot().holds.map((h) => h.holdId);
    const replayed = () => pendingHolds(events()).map((h) => h.holdId);
    sim!.setLoop(true);
    await tick(60);
    controller.onRead(voted('29C12345')); // allowed: opening
    await tick(400);
    controller.onRead(voted('29C12346')); // read under the boom: a lane-busy hold
    controller.onRead(voted('29C12347')); // and another
    expect(kept()).toHaveLength(2);
    expect(replayed()).toEqual(kept());
    expect(controller.refuse(kept()[1]!, operator).ok).toBe(true); // refused while waiting behind
    expect(replayed()).toEqual(kept());
    sim!.setLoop(false); // the first passes; the boom comes down; the held one comes to the barrier
    await tick(3000);
    expect(controller.snapshot().phase).toBe('held');
    expect(replayed()).toEqual(kept());
    expect(controller.confirm(kept()[0]!, operator).ok).toBe(true);
    await tick(600);
    expect(kept()).toEqual([]);
    expect(replayed()).toEqual([]);
  });

  const restored = (holdId: string, plate: string): Hold => ({
    holdId,
    plate,
    display: plate,
    reason: 'unknown-plate',
    detail: `${plate} is on no list`,
    createdAt: 0,
  });

  it('restarted with pending holds: the oldest is held at the barrier again and the operator can let it through', async () => {
    const { controller, sim, tick, events, types } = await setUp(undefined, {
      holds: [restored('H1', '29C99999'), restored('H2', '51F12345')],
      loop: true,
    });
    expect(controller.snapshot()).toMatchObject({
      phase: 'held',
      vehicle: { plate: '29C99999' },
      holds: [{ holdId: 'H1' }, { holdId: 'H2' }],
    });
    expect(controller.confirm('H2', operator)).toMatchObject({ ok: false, refusal: { code: 'not-at-barrier' } });
    expect(controller.confirm('H1', operator).ok).toBe(true);
    await tick(600);
    expect(types()).toEqual(['operator.action', 'actuation:requested', 'actuation:result']);
    expect(events()[1]!.payload).toMatchObject({ cause: 'confirm', holdId: 'H1', plate: '29C99999' });
    expect(sim!.writes().filter((w) => w[4] === 0xff)).toHaveLength(1);
    expect(controller.snapshot().holds.map((h) => h.holdId)).toEqual(['H2']);
  });

  it('restarted with a held vehicle that drove off while the daemon was down: the empty loop ends its visit as left', async () => {
    const { controller, events } = await setUp(undefined, {
      holds: [restored('H1', '29C99999'), restored('H2', '51F12345')],
      loop: false,
    });
    expect(events().map((e) => [e.type, e.payload.outcome, e.payload.holdId])).toEqual([['vehicle', 'left', 'H1']]);
    // The one waiting behind comes to the barrier, as after any visit.
    expect(controller.snapshot()).toMatchObject({ phase: 'held', holds: [{ holdId: 'H2' }] });
  });

  it('restarted with a pending hold and nothing to see the vehicle: held until the operator acts, alarmed as waiting', async () => {
    const { controller, tick, types } = await setUp(
      { driver: 'none' },
      { holds: [restored('H1', '29C99999')], loop: false },
    );
    expect(controller.snapshot()).toMatchObject({ phase: 'held', loop: null, holds: [{ holdId: 'H1' }] });
    await tick(6000);
    expect(types()).toEqual(['alarm:lane.vehicle-waiting']);
    expect(controller.refuse('H1', operator).ok).toBe(true);
    expect(controller.snapshot()).toMatchObject({ phase: 'idle', holds: [] });
  });
});
