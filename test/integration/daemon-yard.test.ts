import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { silentLogger } from '../../src/core/log.js';
import { buildGate, type Gate } from '../../src/gate/build-gate.js';
import { openStore, type Store } from '../../src/store/store.js';
import type { PlateFinder, PlateReader } from '../../src/vision/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { settle } from '../helpers/fake-serial-port.js';
import { voted } from '../helpers/voted.js';

// The daemon with an entry lane, an exit lane and a yard of one place between them: each lane
// has the simulated Modbus board behind the real driver, with its loop, on a fake clock. Reads
// are put on the bus as the lanes' readers would; the cameras are not started.
const UNUSED_ENGINE = {} as PlateFinder & PlateReader;

let dataDir: string | undefined;
const running: { gate: Gate; store: Store }[] = [];
afterEach(async () => {
  for (const { gate, store } of running.splice(0)) await stop(gate, store);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const lane = (id: string, direction: 'entry' | 'exit') => ({
  id,
  direction,
  camera: { url: 'rtsp://127.0.0.1:9/none' },
  barrier: { driver: 'simulator' },
  flow: { waitAlarmMs: 600_000, passTimeoutMs: 20_000, cooldownMs: 1000 },
});

async function boot(clock: FakeClock) {
  const config = configSchema.parse({
    site: { id: 'mlt-kth', name: 'Ma Lù Thàng' },
    dataDir,
    lanes: [lane('in-1', 'entry'), lane('out-1', 'exit')],
    yards: [
      {
        id: 'kth-yard',
        name: 'Bãi chờ',
        capacity: 1,
        entryLanes: ['in-1'],
        exitLanes: ['out-1'],
        overstayMinutes: [2],
      },
    ],
  });
  const store = openStore(
    { clock, log: silentLogger },
    { dataDir: dataDir!, siteId: config.site.id, config: config.store },
  );
  store.lists.applyFull('allow', 1, [{ key: '29C12345' }, { key: 'T2513579', pairedPlate: '云A68420' }]);
  store.lists.applyFull('deny', 1, []);
  store.lists.applyFull('watch', 1, []);
  const gate = await buildGate(config, { clock, log: silentLogger, store, engine: UNUSED_ENGINE });
  for (const l of gate.lanes) await l.controller.start();
  await gate.yards!.start();
  running.push({ gate, store });
  const tick = async (ms: number) => {
    for (let t = 0; t < ms; t += 50) {
      clock.advance(50);
      await settle();
    }
  };
  const sim = (laneId: string) => gate.lanes.find((l) => l.id === laneId)!.barrier!.simulator!;
  /** A vehicle drives onto the lane's loop and is read there. */
  const arrive = async (laneId: string, plate: string, otherPlates: string[] = []) => {
    sim(laneId).setLoop(true);
    await tick(200);
    gate.bus.emit('plate.read', { laneId, read: voted(plate, { others: otherPlates }) });
    await tick(2000);
  };
  /** The vehicle on the loop drives on. */
  const driveOn = async (laneId: string) => {
    sim(laneId).setLoop(false);
    await tick(3000);
  };
  const events = (type: string) =>
    store.db
      .prepare<[string], { laneId: string; payload: string }>(
        'SELECT lane_id AS laneId, payload FROM events WHERE type = ? ORDER BY rowid',
      )
      .all(type)
      .map((r): Record<string, unknown> => ({
        laneId: r.laneId,
        ...(JSON.parse(r.payload) as Record<string, unknown>),
      }));
  return { gate, store, tick, arrive, driveOn, events };
}

async function stop(gate: Gate, store: Store) {
  await gate.yards?.stop();
  for (const l of gate.lanes) await l.controller.stop();
  for (const l of gate.lanes) l.barrier?.simulator?.stop();
  if (store.db.open) store.close();
}

describe('the daemon with two lanes and a yard', () => {
  it('fills the yard, holds the next arrival yard-full, lets it in when a vehicle leaves, alarms its overstay, and keeps the yard across a restart', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'smartgate-yard-'));
    const clock = new FakeClock(Date.UTC(2026, 11, 4, 1, 0, 0));
    const run = await boot(clock);

    await run.arrive('in-1', '29C12345');
    await run.driveOn('in-1');
    expect(run.events('yard.entered')).toMatchObject([{ laneId: 'in-1', plate: '29C12345', occupancy: 1 }]);

    // The yard is full: the Chinese truck (listed under its Vietnamese temporary plate) is held.
    await run.arrive('in-1', 'T2513579');
    expect(run.events('decision').at(-1)).toMatchObject({
      action: 'hold',
      reason: 'yard-full',
      plate: { text: 'T2513579' },
    });
    expect(run.gate.yards!.state('kth-yard')).toMatchObject({ occupancy: 1, full: true, holds: [{ laneId: 'in-1' }] });
    expect(run.events('barrier.actuation').filter((e) => e.laneId === 'in-1')).toHaveLength(2); // only the first vehicle's open

    // The first leaves through the exit lane: the held truck is let in, by one open.
    await run.arrive('out-1', '29C12345');
    await run.driveOn('out-1');
    expect(run.events('yard.left')).toMatchObject([
      { laneId: 'out-1', plate: '29C12345', match: 'exact', dwellMs: expect.any(Number) },
    ]);
    const opens = run.events('barrier.actuation').filter((e) => e.laneId === 'in-1' && e.phase === 'requested');
    expect(opens.map((e) => e.cause)).toEqual(['decision', 'yard-room']);
    await run.driveOn('in-1');
    expect(run.events('yard.entered').at(-1)).toMatchObject({
      plate: 'T2513579',
      pairedPlate: '云A68420',
      overCapacity: false,
    });

    await run.tick(125_000);
    expect(run.events('yard.overstay')).toMatchObject([{ laneId: 'gate', plate: 'T2513579', level: 1 }]);
    const before = run.gate.yards!.state('kth-yard')!;
    await stop(run.gate, run.store);
    running.splice(0);

    clock.advance(60_000);
    const second = await boot(clock);
    const after = second.gate.yards!.state('kth-yard')!;
    expect(after).toMatchObject({
      occupancy: 1,
      vehicles: [{ visitId: before.vehicles[0]!.visitId, plate: 'T2513579' }],
    });
    // Voted on its Chinese plate at the exit (the Vietnamese one seen too): the same truck.
    await second.arrive('out-1', '云A68420', ['T2513579']);
    expect(second.events('decision').at(-1)).toMatchObject({ action: 'open' });
    await second.driveOn('out-1');
    expect(second.events('yard.left').at(-1)).toMatchObject({
      plate: 'T2513579',
      readPlate: '云A68420',
      match: 'paired',
    });
    expect(second.gate.yards!.state('kth-yard')!.occupancy).toBe(0);
  });
});
