import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hex } from '../../src/barrier/lcus.js';
import { LcusDriver } from '../../src/barrier/lcus-driver.js';
import { ModbusRelayDriver, type ModbusDriverOptions } from '../../src/barrier/modbus-driver.js';
import { ModbusRelaySimulator } from '../../src/barrier/modbus-simulator.js';
import { ModbusSimulatorPort } from '../helpers/modbus-simulator-port.js';
import { SerialLink } from '../../src/barrier/serial-link.js';
import type { BarrierDriver, BarrierStatus } from '../../src/barrier/types.js';
import { laneDecisionsSchema } from '../../src/config/decisions.js';
import { configSchema } from '../../src/config/schema.js';
import { EventBus } from '../../src/core/bus.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { buildGate } from '../../src/gate/build-gate.js';
import type { LaneEvents } from '../../src/lane/events.js';
import { LaneController } from '../../src/lane/flow/lane-controller.js';
import { LaneDecider } from '../../src/lane/deciding/decider.js';
import { parsePlate } from '../../src/plates/parse.js';
import type { VotedPlateRead } from '../../src/plates/voter.js';
import { ListStore } from '../../src/store/lists.js';
import { openStore, type Store } from '../../src/store/store.js';
import { replySchema, type Reply } from '../../src/uplink/commands-contract.js';
import { parseWireEvent, type WireEvent } from '../../src/uplink/contract.js';
import { commandTopic, eventsTopic } from '../../src/domain/topics.js';
import type { PlateFinder, PlateReader } from '../../src/vision/types.js';
import { centralSigner } from '../helpers/central-signer.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/processes.js';
import { PtyPair } from '../helpers/pty-pair.js';
import { SerialTap } from '../helpers/serial-tap.js';
import { STORE_DEFAULTS } from '../helpers/store-fixtures.js';

// A lane end to end on real serial devices: the LaneController and its decider over a real
// SQLite store, the real Modbus (or LCUS) driver on one end of a socat PTY pair, the simulated
// relay board and boom (or a raw tap) on the other, all on the system clock with short timings.

const SITE = 'mlt-kth';
const LANE = 'lane-1';
const TIMINGS = { openMs: 300, holdOpenMs: 800, closeMs: 300 };
const FLOW = { waitAlarmMs: 3000, passTimeoutMs: 3000, cooldownMs: 1000, boomCloseMs: 3000 };
const COIL_ON = '01 05 00 00 FF 00 8C 3A';
const COIL_OFF = '01 05 00 00 00 00 CD CA';
/** How long "nothing is sent later" is watched for. */
const QUIET_MS = 1500;

const ALLOWED = '29C12345';
const ALLOWED_2 = '29C67890';
const WATCHED = '云A54321';
const UNKNOWN = '30A11111';

const MODBUS: Omit<ModbusDriverOptions, 'device' | 'clock' | 'log'> = {
  baudRate: 9600,
  address: 1,
  coil: 0,
  mode: 'pulse',
  pulseMs: 100,
  openTimeoutMs: 2000,
  inputs: { openLimit: 0, closedLimit: 1, loop: 2 },
  pollMs: 50,
  responseTimeoutMs: 300,
};

interface Ev {
  eventId: string;
  seq: number;
  type: string;
  ts: number;
  payload: Record<string, unknown>;
}

let dir: string;
let store: Store | null;
/** Undone in reverse order after each test, whatever happened. */
let cleanups: (() => unknown)[];
/** The current PTY pair (replaced on replug). */
let pty: PtyPair;
let simPort: ModbusSimulatorPort | null;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartgate-lane-barrier-'));
  store = null;
  simPort = null;
  cleanups = [];
});

afterEach(async () => {
  const errors: unknown[] = [];
  for (const undo of cleanups.reverse()) {
    try {
      await undo();
    } catch (err) {
      errors.push(err);
    }
  }
  await rm(dir, { recursive: true, force: true });
  if (errors.length) throw errors[0];
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function voted(text: string): VotedPlateRead {
  return {
    plate: parsePlate([text], { countries: ['VN', 'CN'] }),
    confidence: 0.95,
    votes: 3,
    reads: 3,
    box: { x: 0, y: 0, w: 10, h: 5 },
    frameAt: Date.now(),
    firstSeenAt: Date.now(),
    lastSeenAt: Date.now(),
    trigger: 'agreed',
  };
}

/** The real store in the test's directory, with full lists as central pushes them (received `ageMs` ago). */
function openLaneStore(dataDir = dir, ageMs = 0): Store {
  const s = openStore({ clock: systemClock, log: silentLogger }, { dataDir, siteId: SITE, config: STORE_DEFAULTS });
  store = s;
  cleanups.push(() => s.close());
  const lists = ageMs ? new ListStore(s.db, { now: () => Date.now() - ageMs }) : s.lists;
  lists.applyFull('allow', 1, [
    { key: ALLOWED, reason: 'permit' },
    { key: ALLOWED_2, reason: 'fee' },
  ]);
  lists.applyFull('deny', 1, []);
  lists.applyFull('watch', 1, [{ key: WATCHED, reason: 'customs inspection pending', source: 'customs' }]);
  return s;
}

/** Every event the lane recorded, in seq order, from the database. */
function events(type?: string): Ev[] {
  const rows = store!.db
    .prepare('SELECT event_id AS eventId, seq, type, ts, payload FROM events WHERE lane_id = ? ORDER BY seq')
    .all(LANE) as (Omit<Ev, 'payload'> & { payload: string })[];
  return rows
    .map((r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> }))
    .filter((e) => type === undefined || e.type === type);
}

const alarms = () => events('alarm').map((e) => e.payload.alarm);
const actuations = (phase: 'requested' | 'result') =>
  events('barrier.actuation').filter((e) => e.payload.phase === phase);

/** A new PTY pair in `dir` (the same paths after an unplug), with a socat to end after the test. */
async function newPty(): Promise<PtyPair> {
  const p = new PtyPair(dir);
  await p.start();
  cleanups.push(() => p.stop());
  pty = p;
  return p;
}

/** Plugs the relay board in: a PTY pair with the simulated board and boom on the far end. */
/** A board on a new PTY: a new one, or `board` plugged back in (it kept its own power, relays and all). */
async function plugInBoard(loop = false, board?: ModbusRelaySimulator): Promise<ModbusRelaySimulator> {
  await newPty();
  const sim = board ?? new ModbusRelaySimulator({ clock: systemClock, timings: TIMINGS });
  sim.setLoop(loop); // the vehicle is wherever it was
  const port = new ModbusSimulatorPort(pty.b, sim, silentLogger);
  await port.start();
  cleanups.push(() => port.stop());
  simPort = port;
  return sim;
}

/** A PTY pair whose far end only listens: nothing answers. */
async function plugInTap(): Promise<SerialTap> {
  await newPty();
  const tap = new SerialTap(pty.b);
  await tap.open();
  cleanups.push(() => tap.close());
  return tap;
}

/** Unplugging as udev does it: the board's side gone, socat killed, the links removed. */
async function unplug(): Promise<void> {
  await simPort?.stop();
  simPort = null;
  await pty.unplug();
}

interface LaneRig {
  bus: EventBus<LaneEvents>;
  controller: LaneController;
  driver: BarrierDriver;
  read(text: string): void;
  phase(): string;
  barrier(): BarrierStatus | null;
}

/** A lane as the daemon builds it: the driver reports to the controller, which decides from the store's lists. */
async function startLane(
  opts: {
    driver?: 'modbus' | 'lcus';
    modbus?: Partial<ModbusDriverOptions>;
    rules?: Record<string, unknown>;
    commandDeadlineMs?: number;
  } = {},
): Promise<LaneRig> {
  const s = store ?? openLaneStore();
  const bus = new EventBus<LaneEvents>(silentLogger);
  const decider = new LaneDecider({ bus, log: silentLogger, clock: systemClock }, { sink: s.events, lists: s.lists });
  let controller: LaneController | null = null;
  const onStatus = (status: BarrierStatus) => controller?.onBarrierStatus(status);
  const kind = opts.driver ?? 'modbus';
  const modbus = { ...MODBUS, ...opts.modbus };
  const driver: BarrierDriver =
    kind === 'lcus'
      ? new LcusDriver({
          device: pty.a,
          baudRate: 9600,
          channel: 1,
          pulseMs: 100,
          clock: systemClock,
          log: silentLogger,
          onStatus,
        })
      : new ModbusRelayDriver({ ...modbus, device: pty.a, clock: systemClock, log: silentLogger, onStatus });
  const c = new LaneController(
    { bus, log: silentLogger, clock: systemClock },
    { decider, sink: s.events, barrier: driver },
    {
      lane: { id: LANE, direction: 'entry', rules: laneDecisionsSchema.parse(opts.rules ?? {}) },
      flow: FLOW,
      barrierDriver: kind,
      loopWired: kind === 'modbus' && modbus.inputs.loop !== undefined,
      commandDeadlineMs: opts.commandDeadlineMs ?? 2000,
      openingTimeoutMs: 30_000,
    },
  );
  controller = c;
  await c.start();
  cleanups.push(() => c.stop());
  return {
    bus,
    controller: c,
    driver,
    read: (text) => bus.emit('plate.read', { laneId: LANE, read: voted(text) }),
    phase: () => c.snapshot().phase,
    barrier: () => c.snapshot().barrier,
  };
}

/** The lane with the board on the far end, the boom closed and read, a vehicle on the loop. */
async function vehicleOnLoop(lane: LaneRig, sim: ModbusRelaySimulator): Promise<void> {
  await waitFor(() => lane.barrier()?.state === 'closed', 5000, 'closed limit read');
  sim.setLoop(true);
  await waitFor(() => lane.phase() === 'present', 3000, 'vehicle on the loop seen by the lane');
}

const writes = (sim: ModbusRelaySimulator) => sim.writes().map((w) => hex(w));

describe('a lane driving a Modbus relay board on a PTY', () => {
  it(
    'allowed plate: exactly one open on the wire, and the vehicle passes when the loop clears',
    { timeout: 20_000 },
    async () => {
      const sim = await plugInBoard();
      const lane = await startLane();
      await vehicleOnLoop(lane, sim);
      lane.read(ALLOWED);
      await waitFor(() => actuations('result').length === 1, 5000, 'the actuation result');
      expect(lane.barrier()?.state).toBe('open');
      sim.setLoop(false); // drives through
      await waitFor(() => events('vehicle').length === 1, 5000, 'the vehicle event');
      await waitFor(
        () => lane.phase() === 'idle' && lane.barrier()?.state === 'closed',
        5000,
        'boom closed, lane idle',
      );

      expect(writes(sim)).toEqual([COIL_ON, COIL_OFF]);
      expect(events().map((e) => e.type)).toEqual(['decision', 'barrier.actuation', 'barrier.actuation', 'vehicle']);
      const [decision, requested, result, vehicle] = events();
      expect(decision!.payload).toMatchObject({ action: 'open', reason: 'allowed' });
      expect(requested!.payload).toMatchObject({
        phase: 'requested',
        cause: 'decision',
        decisionId: decision!.eventId,
        plate: ALLOWED,
        driver: 'modbus',
      });
      expect(result!.payload).toMatchObject({
        phase: 'result',
        requestId: requested!.eventId,
        ok: true,
        outcome: 'opened',
        confirmed: true,
        sent: [COIL_ON, COIL_OFF],
      });
      expect(vehicle!.payload).toMatchObject({ outcome: 'passed', plate: ALLOWED, decisionId: decision!.eventId });
    },
  );

  it(
    'watch-list plate: a deny decision and a lane.watch-list alarm, and no coil ever written',
    { timeout: 20_000 },
    async () => {
      const sim = await plugInBoard();
      const lane = await startLane();
      await vehicleOnLoop(lane, sim);
      lane.read(WATCHED);
      expect(lane.phase()).toBe('denied');
      const [decision] = events('decision');
      expect(decision!.payload).toMatchObject({ action: 'deny', reason: 'watch-list' });
      expect(events('alarm')).toEqual([
        expect.objectContaining({
          payload: expect.objectContaining({ alarm: 'lane.watch-list', plate: WATCHED, decisionId: decision!.eventId }),
        }),
      ]);

      const polled = sim.requests.length;
      await sleep(QUIET_MS);
      expect(sim.requests.length).toBeGreaterThan(polled); // the driver kept reading the inputs ...
      expect(sim.writes()).toEqual([]); // ... and wrote no coil
      sim.setLoop(false); // turns back
      await waitFor(() => events('vehicle').length === 1, 3000, 'the vehicle leaves');
      expect(events('vehicle')[0]!.payload).toMatchObject({ outcome: 'left', plate: WATCHED });
      expect(events('barrier.actuation')).toEqual([]);
      expect(sim.writes()).toEqual([]);
    },
  );

  it('lists received long ago: held as lists-stale, no open', { timeout: 20_000 }, async () => {
    openLaneStore(dir, 2 * 3_600_000);
    const sim = await plugInBoard();
    const lane = await startLane({ rules: { listsMaxAgeMs: 3_600_000 } });
    await vehicleOnLoop(lane, sim);
    lane.read(ALLOWED);
    expect(events('decision')[0]!.payload).toMatchObject({ action: 'hold', reason: 'lists-stale' });
    expect(lane.controller.snapshot()).toMatchObject({
      phase: 'held',
      holds: [{ plate: ALLOWED, reason: 'lists-stale' }],
    });
    await sleep(QUIET_MS);
    expect(sim.writes()).toEqual([]);
    expect(events('barrier.actuation')).toEqual([]);
  });

  it(
    'tailgating on the loop: a second vehicle drives on after the first passed, before the boom closed',
    { timeout: 20_000 },
    async () => {
      const sim = await plugInBoard();
      const lane = await startLane();
      await vehicleOnLoop(lane, sim);
      lane.read(ALLOWED);
      await waitFor(() => actuations('result').length === 1, 5000, 'the actuation result');
      sim.setLoop(false);
      await waitFor(() => lane.phase() === 'passed', 3000, 'the first vehicle passed');
      expect(sim.boom.position).toBe('open');
      sim.setLoop(true); // the next one follows under the open boom
      await waitFor(() => alarms().includes('lane.tailgating'), 3000, 'tailgating alarm');
      expect(lane.phase()).toBe('present');
      expect(events('vehicle').map((e) => e.payload.outcome)).toEqual(['passed']);
      expect(writes(sim)).toEqual([COIL_ON, COIL_OFF]);
    },
  );

  it(
    'tailgating by read: a plate read while the boom is up is held lane-busy, never opened; it comes to the barrier once the boom is down',
    { timeout: 25_000 },
    async () => {
      const sim = await plugInBoard();
      const lane = await startLane();
      await vehicleOnLoop(lane, sim);
      lane.read(ALLOWED);
      await waitFor(() => actuations('result').length === 1, 5000, 'the actuation result');
      lane.read(ALLOWED_2); // allowed too, but read while the first is under the open boom
      const busy = events('decision')[1]!;
      expect(busy.payload).toMatchObject({ action: 'hold', reason: 'lane-busy' });
      expect(alarms()).toEqual(['lane.tailgating']);
      expect(lane.controller.snapshot().holds).toEqual([
        expect.objectContaining({ holdId: busy.eventId, plate: ALLOWED_2, reason: 'lane-busy' }),
      ]);

      sim.setLoop(false); // the first drives through; the boom closes behind it
      await waitFor(() => lane.barrier()?.state === 'closed', 5000, 'boom closed');
      expect(writes(sim)).toEqual([COIL_ON, COIL_OFF]); // never opened for the second
      // The held vehicle is now the one at the barrier: the operator can let it through.
      await waitFor(() => lane.phase() !== 'passed', 3000, 'the lane moved on');
      expect(lane.controller.snapshot()).toMatchObject({ phase: 'held', vehicle: { plate: ALLOWED_2 } });
      const confirmed = lane.controller.confirm(busy.eventId, {
        operator: 'op-3',
        reason: 'first vehicle is through',
        source: 'cli',
      });
      expect(confirmed.ok).toBe(true);
      await waitFor(() => actuations('result').length === 2, 5000, 'the second actuation result');
      expect(writes(sim)).toEqual([COIL_ON, COIL_OFF, COIL_ON, COIL_OFF]);
    },
  );

  it(
    'a second plate read just after an open, before the boom left the closed limit, is held lane-busy, not opened',
    { timeout: 20_000 },
    async () => {
      const sim = await plugInBoard();
      const lane = await startLane();
      await vehicleOnLoop(lane, sim);
      lane.read(ALLOWED);
      lane.read(ALLOWED_2); // e.g. the car behind, voted at the same moment
      expect(
        events('decision').map((e) => [(e.payload.plate as { text: string }).text, e.payload.action, e.payload.reason]),
      ).toEqual([
        [ALLOWED, 'open', 'allowed'],
        [ALLOWED_2, 'hold', 'lane-busy'],
      ]);
      await waitFor(() => actuations('result').length === 1, 5000, 'the actuation result');
      await sleep(500);
      expect(actuations('requested')).toHaveLength(1);
      expect(actuations('result')[0]!.payload).toMatchObject({ ok: true, outcome: 'opened' });
      expect(writes(sim)).toEqual([COIL_ON, COIL_OFF]);
      expect(lane.controller.snapshot()).toMatchObject({
        phase: 'open',
        vehicle: { plate: ALLOWED },
        holds: [{ plate: ALLOWED_2, reason: 'lane-busy' }],
      });
    },
  );

  it(
    'port closed mid-pulse: fault and barrier.fault alarm, the actuation failed; after replug only the owed coil-off is sent, never an open',
    { timeout: 30_000 },
    async () => {
      const sim = await plugInBoard();
      const lane = await startLane({ modbus: { pulseMs: 1000 } });
      await vehicleOnLoop(lane, sim);
      lane.read(ALLOWED);
      await waitFor(() => sim.writes().length === 1, 3000, 'the coil-on at the board');
      await unplug();
      await waitFor(() => actuations('result').length === 1, 5000, 'the actuation result');

      expect(lane.barrier()).toMatchObject({ state: 'fault', portOpen: false });
      const [result] = actuations('result');
      expect(result!.payload, JSON.stringify(result!.payload)).toMatchObject({
        ok: false,
        outcome: 'port-closed',
        sent: [COIL_ON],
      });
      const fault = events('alarm').find((e) => e.payload.alarm === 'barrier.fault')!;
      expect(fault).toBeDefined();
      expect(fault.seq).toBeLessThan(result!.seq);
      expect(alarms()).toEqual(['barrier.fault', 'lane.barrier-not-opened']);
      // The vehicle is held for the operator, under the failed actuation's id.
      expect(lane.controller.snapshot()).toMatchObject({
        phase: 'held',
        holds: [{ holdId: result!.eventId, plate: ALLOWED, reason: 'barrier-not-opened' }],
      });

      // The board kept its own power: its relay is still on (the boom went up and stays up).
      expect(sim.relays[0]).toBe(true);
      await plugInBoard(true, sim);
      const before = sim.writes().length;
      await waitFor(
        () => lane.barrier()?.portOpen === true && lane.barrier()?.inputs !== null,
        10_000,
        'reopened, inputs read',
      );
      await waitFor(() => sim.relays[0] === false, 5000, 'the owed coil-off');
      expect(alarms()).toEqual(['barrier.fault', 'lane.barrier-not-opened', 'barrier.fault-cleared']);
      const polled = sim.requests.length;
      await sleep(QUIET_MS);
      expect(sim.requests.length).toBeGreaterThan(polled);
      // Exactly the release, nothing that could open.
      expect(sim.writes().slice(before).map(hex)).toEqual([COIL_OFF]);
      expect(actuations('requested')).toHaveLength(1);
      expect(lane.phase()).toBe('held');
      expect(actuations('requested')).toHaveLength(1);
      expect(lane.phase()).toBe('held');
    },
  );

  it(
    'an open refused while the port is down is recorded as failed (port-closed) and never sent after replug',
    { timeout: 30_000 },
    async () => {
      await plugInBoard();
      const lane = await startLane({ commandDeadlineMs: 300 });
      await waitFor(() => lane.barrier()?.state === 'closed', 5000, 'closed limit read');
      await unplug();
      await waitFor(() => lane.barrier()?.state === 'fault', 3000, 'fault');
      lane.read(ALLOWED);
      await waitFor(() => actuations('result').length === 1, 3000, 'the actuation result');
      expect(actuations('result')[0]!.payload).toMatchObject({ ok: false, outcome: 'port-closed', sent: [] });
      expect(alarms()).toEqual(['barrier.fault', 'lane.barrier-not-opened']);

      const sim2 = await plugInBoard();
      await waitFor(() => lane.barrier()?.state === 'closed', 10_000, 'reopened, inputs read');
      await sleep(QUIET_MS);
      expect(sim2.requests.length).toBeGreaterThan(0);
      expect(sim2.writes()).toEqual([]);
      expect(actuations('requested')).toHaveLength(1);
    },
  );

  it(
    'an open whose deadline passes while the link is busy is dropped (deadline) and never sent',
    { timeout: 20_000 },
    async () => {
      // Nothing answers on the far end: each poll of the inputs holds the link for responseTimeoutMs.
      const tap = await plugInTap();
      const lane = await startLane({ modbus: { responseTimeoutMs: 1500 }, commandDeadlineMs: 200 });
      await waitFor(() => tap.bytes.length >= 8, 3000, 'a poll of the inputs on the wire');
      lane.read(ALLOWED); // queued behind that poll, which outlasts the open's deadline
      await waitFor(() => actuations('result').length === 1, 5000, 'the actuation result');
      expect(actuations('result')[0]!.payload).toMatchObject({ ok: false, outcome: 'deadline', sent: [] });
      expect(alarms()).toContain('lane.barrier-not-opened');
      // The link works: polls go on (each holds it for responseTimeoutMs, so wait for the next) ...
      const seen = tap.bytes.length;
      await waitFor(() => tap.bytes.length > seen, 5000, 'the next poll of the inputs');
      await sleep(QUIET_MS);
      const frames = [];
      for (let i = 0; i + 8 <= tap.bytes.length; i += 8) frames.push(tap.bytes.subarray(i, i + 8));
      expect(tap.bytes.length % 8).toBe(0);
      expect(frames.every((f) => f[1] === 0x02)).toBe(true); // ... and never a write-coil
    },
  );
});

describe('a lane driving an LCUS relay board on a PTY', () => {
  it(
    'allowed plate: exactly A0 01 01 A2 then A0 01 00 A1 on the wire; with no inputs the vehicle ends passed-unconfirmed',
    { timeout: 20_000 },
    async () => {
      const tap = await plugInTap();
      const lane = await startLane({ driver: 'lcus' });
      await waitFor(() => lane.barrier()?.portOpen === true, 3000, 'port open');
      expect(lane.barrier()?.state).toBe('unknown');
      lane.read(ALLOWED);
      await waitFor(() => tap.bytes.length >= 8, 3000, 'two LCUS frames at the far end');
      await waitFor(() => events('vehicle').length === 1, FLOW.passTimeoutMs + 3000, 'the vehicle event');
      expect(tap.hex()).toBe('A0 01 01 A2 A0 01 00 A1');
      const [result] = actuations('result');
      expect(result!.payload).toMatchObject({
        ok: true,
        outcome: 'sent',
        confirmed: false,
        sent: ['A0 01 01 A2', 'A0 01 00 A1'],
        driver: 'lcus',
      });
      const [vehicle] = events('vehicle');
      expect(vehicle!.payload).toMatchObject({ outcome: 'passed-unconfirmed', plate: ALLOWED });
      expect(vehicle!.ts - result!.ts).toBeGreaterThanOrEqual(FLOW.passTimeoutMs - 50);
      expect(lane.phase()).toBe('idle');
      expect(tap.bytes.length).toBe(8);
    },
  );
});

describe('central confirms a hold over MQTT', () => {
  // The daemon as built for the config, with only the uplink and the lane controller started.
  const UNUSED_ENGINE = {} as PlateFinder & PlateReader;

  it(
    'unknown plate held; hold.confirm opens once, audited before the actuation; a second confirm is a conflict',
    { timeout: 30_000 },
    async () => {
      const broker = await startMosquitto();
      cleanups.push(() => broker.dispose());
      const signer = centralSigner();
      const replyTopic = `smartgate/v1/${SITE}/replies/r`;
      const sim = await plugInBoard();
      const dataDir = join(dir, 'data');
      mkdirSync(dataDir);
      const config = configSchema.parse({
        site: { id: SITE, name: 'Ma Lù Thàng' },
        dataDir,
        mqtt: { url: broker.url, central: { keys: signer.keys } },
        lanes: [
          {
            id: LANE,
            direction: 'entry',
            camera: { url: 'rtsp://127.0.0.1:9/none' },
            barrier: {
              driver: 'modbus',
              device: pty.a,
              pulseMs: 100,
              pollMs: 50,
              responseTimeoutMs: 300,
              openTimeoutMs: 2000,
              inputs: { openLimit: 0, closedLimit: 1, loop: 2 },
            },
            flow: FLOW,
          },
        ],
      });
      const s = openLaneStore(dataDir);
      const daemon = await buildGate(config, {
        clock: systemClock,
        log: silentLogger,
        store: s,
        engine: UNUSED_ENGINE,
      });
      const uplink = daemon.uplink!;
      let subscribed = false;
      uplink.connection.onSubscribed(() => (subscribed = true));
      await uplink.start();
      cleanups.push(() => uplink.stop());
      const controller = daemon.lanes[0]!.controller;
      await controller.start();
      cleanups.push(() => controller.stop());
      await waitFor(() => subscribed, 10_000, 'gate subscribed');

      const central = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
      cleanups.push(() => central.endAsync());
      const replies: Reply[] = [];
      const published: WireEvent[] = [];
      central.on('message', (topic, payload) => {
        if (topic === replyTopic) replies.push(replySchema.parse(JSON.parse(payload.toString())));
        else {
          const parsed = parseWireEvent(payload);
          if ('event' in parsed) published.push(parsed.event);
        }
      });
      await central.subscribeAsync([replyTopic, eventsTopic('smartgate/v1', SITE, LANE)], { qos: 1 });
      let n = 0;
      const command = async (name: string, args: Record<string, unknown>): Promise<Reply> => {
        const id = `c-${++n}`;
        const topic = commandTopic('smartgate/v1', SITE, name);
        const ts = Date.now();
        const payload = JSON.stringify({ id, ts, expiresAt: ts + 10_000, laneId: LANE, args });
        await central.publishAsync(topic, payload, {
          qos: 1,
          properties: {
            responseTopic: replyTopic,
            correlationData: Buffer.from(id),
            userProperties: signer.sign(topic, payload),
          },
        });
        await waitFor(() => replies.some((r) => r.id === id), 10_000, `reply to ${name}`);
        return replies.find((r) => r.id === id)!;
      };

      await waitFor(() => controller.snapshot().barrier?.state === 'closed', 5000, 'closed limit read');
      sim.setLoop(true);
      await waitFor(() => controller.snapshot().phase === 'present', 3000, 'vehicle on the loop');
      daemon.bus.emit('plate.read', { laneId: LANE, read: voted(UNKNOWN) });
      const [decision] = events('decision');
      expect(decision!.payload).toMatchObject({ action: 'hold', reason: 'unknown-plate' });
      expect(controller.snapshot()).toMatchObject({
        phase: 'held',
        holds: [{ holdId: decision!.eventId, plate: UNKNOWN, reason: 'unknown-plate' }],
      });

      const holds = await command('lane.holds', {});
      expect(holds).toMatchObject({
        status: 'ok',
        data: {
          lanes: [
            {
              laneId: LANE,
              phase: 'held',
              holds: [{ holdId: decision!.eventId, reason: 'unknown-plate' }],
              barrier: 'closed',
            },
          ],
        },
      });

      const confirm = { holdId: decision!.eventId, operator: 'op-17', reason: 'permit shown at the window' };
      const ok = await command('hold.confirm', confirm);
      expect(ok.status).toBe('ok');
      const [action] = events('operator.action');
      expect(ok).toMatchObject({ data: { eventId: action!.eventId } });
      expect(action!.payload).toMatchObject({
        action: 'confirm',
        holdId: decision!.eventId,
        plate: UNKNOWN,
        holdReason: 'unknown-plate',
        operator: 'op-17',
        reason: 'permit shown at the window',
        source: 'central',
        commandId: ok.id,
      });
      const [requested] = actuations('requested');
      expect(requested!.payload).toMatchObject({ cause: 'confirm', holdId: decision!.eventId });
      expect(action!.seq).toBeLessThan(requested!.seq); // the audit first, then the barrier

      await waitFor(() => actuations('result').length === 1, 5000, 'the actuation result');
      expect(actuations('result')[0]!.payload).toMatchObject({ ok: true, outcome: 'opened' });
      sim.setLoop(false);
      await waitFor(() => events('vehicle').length === 1, 5000, 'the vehicle passes');
      expect(events('vehicle')[0]!.payload).toMatchObject({ outcome: 'passed', plate: UNKNOWN });
      expect(writes(sim)).toEqual([COIL_ON, COIL_OFF]);

      // Central received the audit on the lane's events topic.
      await waitFor(() => published.some((e) => e.type === 'operator.action'), 10_000, 'operator.action published');
      expect(published.find((e) => e.type === 'operator.action')).toMatchObject({
        eventId: action!.eventId,
        laneId: LANE,
        payload: { operator: 'op-17', source: 'central', holdId: decision!.eventId },
      });

      const again = await command('hold.confirm', { ...confirm, reason: 'clicked twice' });
      expect(again).toMatchObject({ status: 'error', error: { code: 'conflict' } });
      expect(events('operator.action')).toHaveLength(1);
      await sleep(500);
      expect(writes(sim)).toEqual([COIL_ON, COIL_OFF]);
    },
  );
});

describe('the serial link under the lane', () => {
  // A regression test for serial-link.ts: a port lost while a request's bytes are still being
  // written used to leave the response's rejection unhandled, which ends a Node 20 process.
  // The port is a stand-in whose write completes 50 ms later, so the loss lands inside it.
  it('a port lost while a request is still being written fails that request, with no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    cleanups.push(() => process.off('unhandledRejection', onUnhandled));
    class SlowPort extends EventEmitter {
      isOpen = false;
      open(cb: (err: Error | null) => void) {
        this.isOpen = true;
        setImmediate(() => cb(null));
      }
      write(_data: Buffer, cb: (err: Error | null | undefined) => void) {
        setTimeout(() => cb(null), 50);
        return true;
      }
      close(cb?: (err: Error | null) => void) {
        this.isOpen = false;
        setImmediate(() => cb?.(null));
      }
    }
    const port = new SlowPort();
    const link = new SerialLink({
      path: '/dev/slow',
      baudRate: 9600,
      clock: systemClock,
      log: silentLogger,
      ports: () => port,
    });
    cleanups.push(() => link.stop());
    link.start();
    await waitFor(() => link.isOpen, 1000, 'link open');
    const request = link.request(
      Buffer.from([1, 2, 0, 0, 0, 3, 0x38, 0x0b]),
      systemClock.monotonic() + 1000,
      () => 6,
      500,
    );
    request.catch(() => {}); // awaited below
    await sleep(10);
    port.emit('close', new Error('device disconnected')); // unplugged mid-write
    await expect(request).rejects.toMatchObject({ reason: 'port-closed' });
    await sleep(100);
    expect(unhandled).toEqual([]);
  });
});
