import { createBarrier, openingTimeoutMs } from '../../src/barrier/factory.js';
import { barrierSchema } from '../../src/config/barrier.js';
import { laneDecisionsSchema } from '../../src/config/decisions.js';
import { flowSchema } from '../../src/config/flow.js';
import { yardSchema } from '../../src/config/yards.js';
import { EventBus } from '../../src/core/bus.js';
import { silentLogger } from '../../src/core/log.js';
import type { GateEvents } from '../../src/gate/build-gate.js';
import { pageView } from '../../src/gate/page-view.js';
import { LaneDecider } from '../../src/lane/deciding/decider.js';
import { LaneController } from '../../src/lane/flow/lane-controller.js';
import type { Store } from '../../src/store/store.js';
import type { TransactionalSink } from '../../src/store/types.js';
import type { GateSnapshot } from '../../src/uplink/contract.js';
import { SlidingWindowLoginLimiter } from '../../src/web/auth/login-limiter.js';
import { MemorySessionStore } from '../../src/web/auth/sessions.js';
import { WebServer } from '../../src/web/http-server.js';
import { YardService } from '../../src/yard/yard-service.js';
import type { FakeClock } from './fake-clock.js';
import { FakeUsers } from './fake-users.js';

// A gate with one yard for the page's tests: lane entry-1 into it and exit-1 out of it (no
// barrier driver), with the real decider, lane controllers and YardService over the caller's
// store, and the real web server in front of them on 127.0.0.1.

export const YARD_ID = 'kth-yard';
export const OPERATOR = { username: 'tran.thi.b', password: 'operator-pass' };
export const VIEWER = { username: 'viewer', password: 'viewer-pass' };

export interface YardGate {
  bus: EventBus<GateEvents>;
  yards: YardService;
  entry: LaneController;
  exit: LaneController;
  server: WebServer;
  url: string;
  /** While true, the yard's appends fail as on a full disk. */
  storeFails: { now: boolean };
  stop(): Promise<void>;
}

/**
 * Starts the gate. `yard` overrides the yard's config (capacity 3, two truck places, overstay
 * after 4 h, calls forward required); `allow` seeds the allow list (deny and watch: empty).
 */
export async function startYardGate(
  store: Store,
  clock: FakeClock,
  options: { yard?: Record<string, unknown>; allow?: string[]; staticDir?: string } = {},
): Promise<YardGate> {
  store.lists.applyFull(
    'allow',
    1,
    (options.allow ?? []).map((key) => ({ key })),
  );
  store.lists.applyFull('deny', 1, []);
  store.lists.applyFull('watch', 1, []);
  const bus = new EventBus<GateEvents>(silentLogger);
  const storeFails = { now: false };
  const yardSink: TransactionalSink = {
    append: (event) => {
      if (storeFails.now) throw new Error('database or disk is full');
      return store.events.append(event);
    },
    transaction: (fn) => store.events.transaction(fn),
    afterCommit: (fn) => store.events.afterCommit(fn),
  };
  const config = yardSchema.parse({
    id: YARD_ID,
    name: 'Bãi chờ Kim Thành',
    capacity: 3,
    classes: [{ id: 'truck', capacity: 2, plateKinds: ['commercial'] }],
    entryLanes: ['entry-1'],
    exitLanes: ['exit-1'],
    callForward: { required: true },
    ...options.yard,
  });
  const controllers: LaneController[] = [];
  const yards = new YardService(
    { bus, log: silentLogger, clock },
    { sink: yardSink, records: store.yards, lanes: () => controllers },
    [config],
  );
  const decider = new LaneDecider(
    { bus, log: silentLogger, clock },
    { sink: store.events, lists: store.lists, guard: yards },
  );
  const barrier = barrierSchema.parse({ driver: 'none' });
  const lane = (id: string, direction: 'entry' | 'exit') =>
    new LaneController(
      { bus, log: silentLogger, clock },
      {
        decider,
        sink: store.events,
        barrier: createBarrier(barrier, { clock, log: silentLogger, onStatus: () => {} })?.driver ?? null,
      },
      {
        lane: { id, direction, rules: laneDecisionsSchema.parse({}) },
        flow: flowSchema.parse({}),
        barrierDriver: barrier.driver,
        loopWired: false,
        commandDeadlineMs: barrier.commandDeadlineMs,
        openingTimeoutMs: openingTimeoutMs(barrier),
      },
    );
  const entry = lane('entry-1', 'entry');
  const exit = lane('exit-1', 'exit');
  controllers.push(entry, exit);
  for (const c of controllers) await c.start();
  await yards.start();

  const names = { 'entry-1': 'Làn vào 1', 'exit-1': 'Làn ra 1' };
  const snapshot = (): GateSnapshot => ({
    health: {
      bootId: store.bootId,
      version: 'test',
      ts: clock.now(),
      uptimeMs: 1000,
      outboxPending: store.events.pendingCount(),
      store: { usedBytes: null, quotaBytes: 1 << 20, quotaExceeded: false },
      lanes: Object.keys(names),
    },
    lanes: controllers.map((c) => {
      const { barrier: barrierState, ...flow } = c.snapshot();
      return {
        laneId: c.laneId,
        ts: clock.now(),
        camera: {
          state: 'streaming' as const,
          fpsIn: 5,
          fpsProcessed: 5,
          framesDropped: 0,
          lastFrameAgeMs: 100,
          restarts: 0,
          lastError: null,
        },
        reader: {
          framesProcessed: 0,
          framesSkippedNoMotion: 0,
          inferences: 0,
          lastInferenceMs: null,
          platesEmitted: 0,
        },
        flow,
        barrier: barrierState,
      };
    }),
  });
  const server = new WebServer(
    { log: silentLogger },
    {
      gate: pageView({
        site: { id: 'mlt-kth', name: 'Ma Lù Thàng' },
        bus,
        store,
        lanes: controllers.map((c) => ({
          id: c.laneId,
          name: names[c.laneId as keyof typeof names],
          direction: c.laneId.startsWith('entry') ? 'entry' : 'exit',
          controller: c,
        })),
        snapshot,
        link: () => ({ configured: false, connected: false }),
        listsMaxAgeMs: 24 * 3600_000,
        clock,
        yards,
      }),
      users: new FakeUsers({
        [OPERATOR.username]: { password: OPERATOR.password, role: 'operator' },
        [VIEWER.username]: { password: VIEWER.password, role: 'viewer' },
      }),
      sessions: new MemorySessionStore(clock),
      limiter: new SlidingWindowLoginLimiter(clock),
    },
    { host: '127.0.0.1', port: 0, ...(options.staticDir && { staticDir: options.staticDir }) },
  );
  await server.start();
  return {
    bus,
    yards,
    entry,
    exit,
    server,
    url: server.url,
    storeFails,
    async stop() {
      await server.stop();
      await yards.stop();
      for (const c of controllers) await c.stop();
    },
  };
}
