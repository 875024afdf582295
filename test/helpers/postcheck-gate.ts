import sharp from 'sharp';
import { createBarrier, openingTimeoutMs } from '../../src/barrier/factory.js';
import { barrierSchema } from '../../src/config/barrier.js';
import { laneDecisionsSchema } from '../../src/config/decisions.js';
import { flowSchema } from '../../src/config/flow.js';
import { EventBus } from '../../src/core/bus.js';
import { silentLogger } from '../../src/core/log.js';
import type { DeclarationMode } from '../../src/domain/declarations.js';
import type { GateEvents } from '../../src/gate/build-gate.js';
import { pageView } from '../../src/gate/page-view.js';
import { postcheckDays } from '../../src/gate/postcheck-days.js';
import { LaneDecider } from '../../src/lane/deciding/decider.js';
import { LaneController } from '../../src/lane/flow/lane-controller.js';
import { parsePlate } from '../../src/plates/parse.js';
import type { VotedPlateRead } from '../../src/plates/voter.js';
import { PostcheckService } from '../../src/postcheck/postcheck-service.js';
import type { ListEntry } from '../../src/store/lists.js';
import type { Store } from '../../src/store/store.js';
import type { StoredEvent } from '../../src/store/types.js';
import type { GateSnapshot } from '../../src/uplink/contract.js';
import { SlidingWindowLoginLimiter } from '../../src/web/auth/login-limiter.js';
import { MemorySessionStore } from '../../src/web/auth/sessions.js';
import { WebServer } from '../../src/web/http-server.js';
import type { FakeClock } from './fake-clock.js';
import { FakeUsers } from './fake-users.js';

// A gate whose lane entry-1 decides on fee declarations (post-check) for the page's tests: the
// real decider over the store's lists, the real PostcheckService keeping its ledger in the
// caller's store, idle lane controllers (no barrier driver) for the page's lanes, and the real
// web server on 127.0.0.1. A passage is driven as the lane makes one: a decision recorded and
// announced (`lane.decision`, with the plate crop), then the vehicle's `vehicle` event
// (`lane.recorded`); exit-1 does not use declarations.

export const SITE = 'mlt-kth';
export const TIME_ZONE = 'Asia/Ho_Chi_Minh';
export const OPERATOR = { username: 'tran.thi.b', password: 'operator-pass' };
export const VIEWER = { username: 'viewer', password: 'viewer-pass' };
const HOUR = 3600_000;

export interface PostcheckGate {
  bus: EventBus<GateEvents>;
  postcheck: PostcheckService;
  server: WebServer;
  url: string;
  /** A vehicle read at `laneId` (entry-1 by default) and decided, then passed; with `frame`, the decision's evidence frame is kept. */
  pass(
    plate: string,
    opts?: { laneId?: string; frame?: boolean },
  ): Promise<{ decision: StoredEvent; vehicle: StoredEvent }>;
  /** A vehicle let through by hand, with no decision. */
  openedByHand(laneId?: string): StoredEvent;
  stop(): Promise<void>;
}

/** A fee declaration of the `declarations` list, valid from an hour ago for a day unless told. */
export function declaration(id: string, plate: string, now: number, fields: Record<string, unknown> = {}): ListEntry {
  return {
    key: id,
    plate,
    vehicleClass: 'car',
    validFrom: now - HOUR,
    validUntil: now + 24 * HOUR,
    passages: 'one',
    amount: 250_000,
    currency: 'VND',
    feeRef: `FEE-${id}`,
    declaredAt: now - 2 * HOUR,
    ...fields,
  };
}

/** A small JPEG with `text` written across it: a lane's plate crop, or its frame of the decision. */
async function plateJpeg(text: string, width: number, height: number): Promise<Buffer> {
  const size = Math.round(Math.min(height / 2.5, (width * 1.6) / text.length));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#f4f4f4"/><text x="50%" y="60%" font-size="${size}" text-anchor="middle" font-family="sans-serif" fill="#111">${text}</text></svg>`;
  return sharp(Buffer.from(svg)).jpeg().toBuffer();
}

export async function startPostcheckGate(
  store: Store,
  clock: FakeClock,
  options: { declarations?: ListEntry[]; modes?: Record<string, DeclarationMode>; staticDir?: string } = {},
): Promise<PostcheckGate> {
  store.lists.applyFull('allow', 1, []);
  store.lists.applyFull('deny', 1, []);
  store.lists.applyFull('watch', 1, []);
  store.lists.applyFull('declarations', 1, options.declarations ?? []);
  const modes = new Map<string, DeclarationMode>(
    Object.entries(options.modes ?? { 'entry-1': 'post-check', 'exit-1': 'off' }),
  );
  const bus = new EventBus<GateEvents>(silentLogger);
  const postcheck = new PostcheckService(
    { bus, log: silentLogger, clock },
    { sink: store.events, records: store.postcheck },
    { modes, timeZone: TIME_ZONE, retentionDays: 90 },
  );
  await postcheck.start();
  const decider = new LaneDecider(
    { bus, log: silentLogger, clock },
    { sink: store.events, lists: store.lists, declarationUses: (id) => postcheck.usesOf(id) },
  );
  const barrier = barrierSchema.parse({ driver: 'none' });
  const rulesOf = (laneId: string) => laneDecisionsSchema.parse({ declarations: modes.get(laneId) ?? 'off' });
  const lane = (id: string, direction: 'entry' | 'exit') =>
    new LaneController(
      { bus, log: silentLogger, clock },
      {
        decider,
        sink: store.events,
        barrier: createBarrier(barrier, { clock, log: silentLogger, onStatus: () => {} })?.driver ?? null,
      },
      {
        lane: { id, direction, rules: rulesOf(id) },
        flow: flowSchema.parse({}),
        barrierDriver: barrier.driver,
        loopWired: false,
        commandDeadlineMs: barrier.commandDeadlineMs,
        openingTimeoutMs: openingTimeoutMs(barrier),
      },
    );
  const controllers = [lane('entry-1', 'entry'), lane('exit-1', 'exit')];
  for (const c of controllers) await c.start();

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
        site: { id: SITE, name: 'Ma Lù Thàng' },
        bus,
        store,
        lanes: controllers.map((c) => ({
          id: c.laneId,
          name: names[c.laneId as keyof typeof names],
          direction: c.laneId.startsWith('entry') ? 'entry' : 'exit',
          declarations: modes.get(c.laneId) ?? 'off',
          controller: c,
        })),
        snapshot,
        link: () => ({ configured: false, connected: false }),
        listsMaxAgeMs: 24 * HOUR,
        clock,
        // As the gate does: no post-check when no lane decides on declarations.
        postcheck: [...modes.values()].some((mode) => mode !== 'off')
          ? { days: postcheckDays(store, TIME_ZONE, clock), stats: () => postcheck.stats() }
          : null,
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

  const vehicle = (laneId: string, plate: string | null, decisionId: string | null) => {
    const event = store.events.append({
      type: 'vehicle',
      laneId,
      payload: { outcome: 'passed', plate, decisionId, holdId: null, durationMs: 4200 },
    });
    bus.emit('lane.recorded', { laneId, event });
    return event;
  };
  return {
    bus,
    postcheck,
    server,
    url: server.url,
    async pass(plate, { laneId = 'entry-1', frame = false } = {}) {
      const now = clock.now();
      const read: VotedPlateRead = {
        plate: parsePlate([plate], { countries: ['VN', 'CN'] }),
        confidence: 0.91,
        votes: 4,
        reads: 5,
        box: { x: 40, y: 60, w: 120, h: 40 },
        frameAt: now,
        firstSeenAt: now,
        lastSeenAt: now,
        trigger: 'agreed',
        crop: await plateJpeg(plate, 160, 48),
      };
      const { event: decision } = decider.decide(
        { id: laneId, direction: laneId.startsWith('entry') ? 'entry' : 'exit', rules: rulesOf(laneId) },
        read,
      );
      if (frame) await store.frames.write(decision.eventId, await plateJpeg(`lane ${laneId}: ${plate}`, 640, 360));
      clock.advance(4200);
      return { decision, vehicle: vehicle(laneId, plate, decision.eventId) };
    },
    openedByHand(laneId = 'entry-1') {
      return vehicle(laneId, null, null);
    },
    async stop() {
      await server.stop();
      await postcheck.stop();
      for (const c of controllers) await c.stop();
    },
  };
}
