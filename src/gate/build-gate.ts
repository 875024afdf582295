import { mkdirSync } from 'node:fs';
import { createBarrier, loopWired, openingTimeoutMs, type BuiltBarrier } from '../barrier/factory.js';
import { createFrameSource } from '../camera/factory.js';
import { liveStreams } from '../camera/live-stream.js';
import type { FrameSource } from '../camera/types.js';
import type { Config, LaneConfig } from '../config/index.js';
import { engineChoiceOf, minCharConfidenceOf, motionGateOf } from '../config/recognition.js';
import { EventBus } from '../core/bus.js';
import { systemClock, type Clock } from '../core/clock.js';
import { createLogger, type Logger } from '../core/log.js';
import type { Service } from '../core/service.js';
import { SetupError } from '../core/setup-error.js';
import { DemoConsole } from '../demo/demo-console.js';
import { seedDemoLists } from '../demo/demo-lists.js';
import { DEMO_TRAFFIC_TIMINGS, DemoTraffic } from '../demo/demo-traffic.js';
import { DemoYard } from '../demo/demo-yard.js';
import { LaneDecider } from '../lane/deciding/decider.js';
import type { LaneEvents } from '../lane/events.js';
import { LaneController } from '../lane/flow/lane-controller.js';
import { HOLD_EVENT_TYPES, HOLD_RESTORE_WINDOW_MS, pendingHolds } from '../lane/flow/pending-holds.js';
import { AnnotatedFrameRenderer } from '../lane/reading/annotated-frame.js';
import { EvidenceFrames } from '../lane/reading/evidence-frames.js';
import { LaneReader } from '../lane/reading/lane-reader.js';
import { PlateReadRecorder } from '../lane/reading/plate-read-recorder.js';
import { parsePlate } from '../plates/parse.js';
import { StoreLockedError } from '../store/database.js';
import { SchemaTooNewError } from '../store/migrations.js';
import { RetentionService } from '../store/retention-service.js';
import { CheckpointService } from '../store/checkpoint-service.js';
import { loadOrCreateGateKey, type GateKey } from '../evidence/gate-key.js';
import { recordStoreAlarm } from '../store/store-alarm.js';
import { openStore, type Store } from '../store/store.js';
import { centralHandlers } from '../uplink/central-handlers.js';
import type { GateSnapshot } from '../uplink/contract.js';
import { createUplink, type Uplink } from '../uplink/uplink.js';
import { createEngines, type EngineSet } from '../vision/engines.js';
import { ModelIntegrityError } from '../vision/model-manifest.js';
import type { PlateFinder, PlateReader } from '../vision/types.js';
import { EventAuthAudit } from '../web/auth/audit.js';
import { SlidingWindowLoginLimiter } from '../web/auth/login-limiter.js';
import { MemorySessionStore } from '../web/auth/sessions.js';
import { UserStore } from '../web/auth/users.js';
import { WebServer } from '../web/http-server.js';
import { LiveVideoServer } from '../web/live-video.js';
import { loadTlsFiles, TlsFileError, type TlsFiles } from '../web/tls-files.js';
import type { PostcheckEvents } from '../postcheck/events.js';
import { PostcheckService } from '../postcheck/postcheck-service.js';
import type { YardEvents } from '../yard/events.js';
import { YardService } from '../yard/yard-service.js';
import { GateLog } from './gate-log.js';
import { gateSnapshot } from './gate-snapshot.js';
import { pageView } from './page-view.js';
import { postcheckDays } from './postcheck-days.js';

/**
 * What a caller may give the gate instead of what the config says. The daemon gives none; the
 * demo and the tests give what they must.
 */
export interface GateOverrides {
  /** Default: the system clock. */
  clock?: Clock;
  /** Default: JSON lines on stderr at `log.level`. */
  log?: Logger;
  /** An open store (tests); the caller closes it. Default: `{dataDir}/smartgate.db`, closed at stop. */
  store?: Store;
  /** One engine for every lane (tests); the caller closes it. Default: the engines the lanes name, closed at stop. */
  engine?: PlateFinder & PlateReader;
  /** The page listens on a free port when `http.port` is taken (the demo: 8080 may be in use). */
  httpFreePortIfBusy?: boolean;
  /** The demo's parts: its lists, its yard's start, its simulated traffic on the loops, and its terminal output. */
  demo?: { dataDir: string; turnBackMs: number };
}

export interface LaneParts {
  id: string;
  camera: FrameSource;
  reader: LaneReader;
  controller: LaneController;
  /** Null for `barrier.driver: none`; for `simulator`, its simulated board is here too. */
  barrier: BuiltBarrier | null;
}

/** The built gate: its parts, for the tests and the demo, and its lifecycle. */
/** Everything the gate's parts tell each other: the lanes' events, the yards' and the post-check's. */
export type GateEvents = LaneEvents & YardEvents & PostcheckEvents;

export interface Gate {
  readonly bus: EventBus<GateEvents>;
  readonly store: Store;
  readonly lanes: readonly LaneParts[];
  /** Null when the config has no yards. */
  readonly yards: YardService | null;
  /** Null when no lane decides on fee declarations. */
  readonly postcheck: PostcheckService | null;
  /** Null when the config names no broker. */
  readonly uplink: Uplink | null;
  /** Null when the config turns the page off. */
  readonly web: WebServer | null;
  /** Starts every service in order; when one fails, stop() stops those that started. */
  start(): Promise<void>;
  /** Stops them in reverse, each step logged; a failing stop does not keep the others from stopping. */
  stop(): Promise<void>;
  snapshot(): GateSnapshot;
  stats(): Record<string, unknown>;
}

/**
 * The composition root: builds every part of the gate from the config, and lists the services
 * in the order they start (and, reversed, stop). Nothing else constructs a service; no business
 * logic lives here. Throws SetupError when the models, the data directory or the page's TLS
 * files cannot be used, before anything runs.
 */
export async function buildGate(config: Config, overrides: GateOverrides = {}): Promise<Gate> {
  const clock = overrides.clock ?? systemClock;
  const log = overrides.log ?? createLogger(config.log.level);
  const startedAt = clock.monotonic();

  // What the config points at, checked before anything is opened: models, then TLS files.
  const engines = overrides.engine ? null : await loadEngines(config);
  const engineOf = (lane: LaneConfig) => overrides.engine ?? engines!.forChoice(engineChoiceOf(lane.recognition));
  let tls: TlsFiles | undefined;
  let store: Store;
  try {
    tls = pageTls(config);
    store = overrides.store ?? openGateStore(config, clock, log);
  } catch (err) {
    await engines?.close();
    throw err;
  }
  if (overrides.demo) seedDemoLists(store.lists, clock.now());
  // The chain heads signed at start, periodically, after retention and at shutdown (docs/evidence.md).
  const checkpoints =
    store.checkpoints &&
    new CheckpointService({ clock, log: log.child({ module: 'store' }) }, store.checkpoints, {
      intervalMs: config.store.checkpointIntervalMs,
    });
  // Old and delivered data deleted by age and under the quota; a quota that bites is an alarm event.
  const retention = new RetentionService({ clock, log: log.child({ module: 'store' }) }, store.retention, {
    intervalMs: config.store.retentionIntervalMs,
    onAlarm: (alarm, result) => recordStoreAlarm(store.events, log, alarm, result),
    // What retention deleted from the chain, signed and forwarded: central learns where each lane's kept part starts.
    onPruned: (result) => checkpoints?.recordRetention(result.pruned),
  });

  // The lanes: camera → reader → (recorder, decider) → controller → barrier, joined by the bus.
  const bus = new EventBus<GateEvents>(log.child({ module: 'bus' }));
  const recorder = new PlateReadRecorder({ bus, log }, store.events);
  // The yards between the lanes: they shape the lanes' opens (the decider's guard) and release their holds.
  const yards =
    config.yards.length === 0
      ? null
      : new YardService(
          { bus, log: log.child({ module: 'yard' }), clock },
          { sink: store.events, records: store.yards, lanes: () => lanes.map((l) => l.controller) },
          config.yards,
        );
  // The post-check's ledger of passages on lanes deciding on fee declarations: the deciders ask it how often a declaration was used.
  const declarationModes = new Map(config.lanes.map((l) => [l.id, l.decisions.declarations] as const));
  const postcheck = [...declarationModes.values()].every((mode) => mode === 'off')
    ? null
    : new PostcheckService(
        { bus, log: log.child({ module: 'postcheck' }), clock },
        { sink: store.events, records: store.postcheck },
        { modes: declarationModes, timeZone: config.site.timeZone, retentionDays: config.store.retentionDays },
      );
  // Its days as central's summary and the page read them, from the store.
  const days = postcheck ? postcheckDays(store, config.site.timeZone, clock) : null;
  const decider = new LaneDecider(
    { bus, log: log.child({ module: 'decider' }), clock },
    {
      sink: store.events,
      lists: store.lists,
      ...(yards && { guard: yards }),
      ...(postcheck && { declarationUses: (id: string) => postcheck.usesOf(id) }),
    },
  );
  const lanes: LaneParts[] = config.lanes.map((lane) =>
    buildLane(lane, engineOf(lane), { clock, log, bus, store, decider }),
  );
  const readerOf = (laneId: string) => lanes.find((l) => l.id === laneId)?.reader;
  // One renderer for the page's pictures and the decisions' evidence (which bypasses its cache).
  const frames = new AnnotatedFrameRenderer(readerOf, clock);
  const evidence = new EvidenceFrames(
    { bus, log: log.child({ module: 'evidence' }) },
    { renderer: frames, frames: store.frames },
  );

  const snapshot = () =>
    gateSnapshot({ clock, store, retention, lanes, quotaBytes: config.store.quotaMb * 1024 * 1024, startedAt });

  // Central: the outbox forwarded, commands and lists from central, the retained snapshots.
  const uplink = createUplink(
    { clock, log },
    {
      siteId: config.site.id,
      bootId: store.bootId,
      outbox: store.events,
      gateKey: store.gateKey,
      config: config.mqtt,
      inbound:
        config.mqtt &&
        centralHandlers({
          clock,
          bootId: store.bootId,
          laneIds: config.lanes.map((l) => l.id),
          config: config.mqtt.commands,
          store,
          lanes: lanes.map((l) => l.controller),
          yards,
        }),
      snapshot,
      yards,
      postcheck: days && { today: () => days.report(days.today()) },
    },
  );
  // Central sees a lane's phase, holds and barrier, a yard's occupancy and the post-check change without waiting for the interval.
  const stateChanges: Service = {
    name: 'state-changes',
    start: async () => {
      bus.on(stateChanges, 'lane.state', () => uplink?.state?.publishSoon());
      bus.on(stateChanges, 'yard.changed', (e) => uplink?.yardState?.changed(e.yardId));
      bus.on(stateChanges, 'postcheck.changed', () => uplink?.postcheckSummary?.changed());
    },
    stop: async () => bus.removeAll(stateChanges),
  };

  // The operators' page.
  const webLog = log.child({ module: 'web' });
  const users = new UserStore(store.accounts, clock);
  const web =
    config.http.enabled === false
      ? null
      : new WebServer(
          { log: webLog },
          {
            gate: pageView({
              site: config.site,
              bus,
              lanes: lanes.map((l, i) => ({
                id: l.id,
                name: config.lanes[i]!.name ?? l.id,
                direction: config.lanes[i]!.direction,
                declarations: config.lanes[i]!.decisions.declarations,
                controller: l.controller,
              })),
              store,
              link: () => ({ configured: uplink !== null, connected: uplink?.stats().connected ?? false }),
              snapshot,
              listsMaxAgeMs: Math.min(...config.lanes.map((l) => l.decisions.listsMaxAgeMs)),
              clock,
              yards,
              postcheck: postcheck && days && { days, stats: () => postcheck.stats() },
            }),
            users,
            audit: new EventAuthAudit(store.events, webLog),
            // Accounts change beside the running daemon (`smartgate user`): a session lasts as long as its account does.
            sessions: new MemorySessionStore(clock, {
              accountCurrent: (s) => users.accountVersion(s.user.username) === s.accountVersion,
            }),
            limiter: new SlidingWindowLoginLimiter(clock),
            liveVideo: new LiveVideoServer(
              liveStreams(
                config.lanes.map((lane) => ({ laneId: lane.id, ...lane.camera })),
                { clock, log },
              ),
              { clock, log },
            ),
            frames,
          },
          { ...pageLimits(config), freePortIfBusy: overrides.httpFreePortIfBusy ?? false, tls },
        );

  const stats = () => ({
    lanes: lanes.map((l) => ({ lane: l.id, camera: l.camera.stats(), reader: l.reader.stats() })),
    recorder: recorder.stats(),
    decider: decider.stats(),
    evidence: evidence.stats(),
    controllers: lanes.map((l) => ({ lane: l.id, ...l.controller.stats() })),
    yards: yards?.stats() ?? null,
    postcheck: postcheck?.stats() ?? null,
    outboxPending: store.events.pendingCount(),
    retention: retention.stats(),
    checkpoints: checkpoints?.stats() ?? null,
    uplink: uplink?.stats() ?? null,
  });

  // Started in this order, stopped in reverse: the readers flush their last votes while the
  // recorder and the lane controllers still listen, the uplink forwards until the lanes are
  // quiet, and the store closes last.
  const demoConsole =
    overrides.demo &&
    new DemoConsole(
      { bus, clock },
      {
        pageUrl: () => web?.url ?? null,
        dataDir: overrides.demo.dataDir,
        holdsWait: overrides.demo.turnBackMs > DEMO_TRAFFIC_TIMINGS.turnBackMs,
        yards: () => yards?.states() ?? [],
      },
    );
  const services: Service[] = [
    ...(engines ? [resource('engines', () => engines.close())] : []),
    ...(overrides.store ? [] : [resource('store', async () => store.close())]),
    retention,
    ...(uplink ? [uplink] : []),
    // Stopped after the lanes, so its shutdown checkpoint covers their last events, and before
    // the uplink, which forwards it.
    ...(checkpoints ? [checkpoints] : []),
    stateChanges,
    new GateLog({ bus, log }, stats),
    // Listeners in this order: a read is recorded, then decided and acted on. Evidence stops
    // after the lanes, so the decisions of their last votes keep their frames.
    recorder,
    evidence,
    ...lanes.map((l) => l.controller),
    // After the lanes it releases holds on, before the cameras whose reads make its passages.
    ...(yards ? [yards] : []),
    ...(postcheck ? [postcheck] : []),
    // The demo's yard as its clips begin, before their first vehicle.
    ...(overrides.demo && yards ? [new DemoYard(yards)] : []),
    // The demo's terminal: stopped after the readers, so the votes they flush are printed too.
    ...(demoConsole ? [demoConsole] : []),
    ...lanes.flatMap((l) => [frameSourceService(l.id, l.camera), l.reader]),
    // The page opens once there is a gate to show, and closes before it goes.
    ...(web ? [web] : []),
    ...(overrides.demo && demoConsole ? demoServices(overrides.demo, { bus, clock, lanes }, demoConsole) : []),
  ];
  const lifecycle = serviceList(services, log);

  return {
    bus,
    store,
    lanes,
    yards,
    postcheck,
    uplink,
    web,
    start: () => lifecycle.start(),
    stop: async () => {
      await lifecycle.stop();
      for (const lane of lanes) lane.barrier?.simulator?.stop();
    },
    snapshot,
    stats,
  };
}

/** One lane's parts. The barrier's driver reports to the controller, which exists only once the driver does. */
function buildLane(
  lane: LaneConfig,
  engine: PlateFinder & PlateReader,
  ctx: { clock: Clock; log: Logger; bus: EventBus<LaneEvents>; store: Store; decider: LaneDecider },
): LaneParts {
  const { clock, bus, store } = ctx;
  const log = ctx.log.child({ lane: lane.id });
  const camera = createFrameSource({ id: lane.id, ...lane.camera }, { clock, log });
  const { countries, minConfidence } = lane.recognition;
  const reader = new LaneReader(
    { clock, log, bus },
    {
      laneId: lane.id,
      roi: lane.roi,
      countries,
      minConfidence,
      minCharConfidence: minCharConfidenceOf(lane.recognition),
      motion: motionGateOf(lane.recognition.motion),
      voting: { ...lane.voting, reparse: (text) => parsePlate([text], { countries }) },
    },
    camera,
    engine,
  );
  let controller: LaneController | null = null;
  const barrier = createBarrier(lane.barrier, {
    clock,
    log: log.child({ module: 'barrier' }),
    onStatus: (status) => controller?.onBarrierStatus(status),
  });
  controller = new LaneController(
    { bus, log: log.child({ module: 'lane' }), clock },
    { decider: ctx.decider, sink: store.events, barrier: barrier?.driver ?? null },
    {
      lane: { id: lane.id, direction: lane.direction, rules: lane.decisions },
      flow: lane.flow,
      barrierDriver: lane.barrier.driver,
      loopWired: loopWired(lane.barrier),
      commandDeadlineMs: lane.barrier.commandDeadlineMs,
      openingTimeoutMs: openingTimeoutMs(lane.barrier),
    },
    pendingHolds(store.events.laneHistory(lane.id, HOLD_EVENT_TYPES, clock.now() - HOLD_RESTORE_WINDOW_MS)),
  );
  return { id: lane.id, camera, reader, controller, barrier };
}

/** The demo's traffic on its simulated loops, and its console's announcement (after the page, whose URL it prints). */
function demoServices(
  demo: NonNullable<GateOverrides['demo']>,
  parts: { bus: EventBus<LaneEvents>; clock: Clock; lanes: readonly LaneParts[] },
  console: DemoConsole,
): Service[] {
  const simulators = new Map(
    parts.lanes.flatMap((l) => (l.barrier?.simulator ? [[l.id, l.barrier.simulator] as const] : [])),
  );
  return [
    new DemoTraffic({ bus: parts.bus, clock: parts.clock }, simulators, {
      ...DEMO_TRAFFIC_TIMINGS,
      turnBackMs: demo.turnBackMs,
    }),
    { name: 'demo-announce', start: async () => console.announce(), stop: async () => {} },
  ];
}

/** The engines the lanes name, checked against their manifests: a model that is not what it says is a setup error. */
async function loadEngines(config: Config): Promise<EngineSet> {
  try {
    return await createEngines(config.lanes.map((l) => engineChoiceOf(l.recognition)));
  } catch (err) {
    if (err instanceof ModelIntegrityError) throw new SetupError('recognition', err.message);
    throw err;
  }
}

function openGateStore(config: Config, clock: Clock, log: Logger): Store {
  try {
    mkdirSync(config.dataDir, { recursive: true });
    const gateKey = openGateKey(config.dataDir, log);
    return openStore(
      { clock, log },
      { dataDir: config.dataDir, siteId: config.site.id, config: config.store, gateKey },
    );
  } catch (err) {
    if (err instanceof StoreLockedError || err instanceof SchemaTooNewError)
      throw new SetupError('dataDir', err.message);
    throw err;
  }
}

/** The gate's signing key, made on the first start (src/evidence/gate-key.ts). */
function openGateKey(dataDir: string, log: Logger): GateKey {
  let outcome;
  try {
    outcome = loadOrCreateGateKey(dataDir);
  } catch (err) {
    throw new SetupError('dataDir', (err as Error).message);
  }
  const { key, created, permissionsFixed, publicKeyFixed } = outcome;
  if (created) log.info({ keyId: key.keyId }, 'gate key created: give central its public key (smartgate key show)');
  if (permissionsFixed)
    log.warn({ keyId: key.keyId }, 'the gate key file could be read by others; made private (0600)');
  if (publicKeyFixed)
    log.warn({ keyId: key.keyId }, "gate-key.pub was missing or not the gate key's public half; written again");
  return key;
}

/** The page's certificate and key, read now: a file that cannot be used stops the start, naming its field. */
function pageTls(config: Config): TlsFiles | undefined {
  if (!config.http.tls || config.http.enabled === false) return undefined;
  try {
    return loadTlsFiles(config.http.tls);
  } catch (err) {
    if (err instanceof TlsFileError) throw new SetupError(err.field, err.message.replace(`${err.field}: `, ''));
    throw err;
  }
}

function pageLimits(config: Config) {
  const { host, port, maxConnections, maxConnectionsPerAddress, requestTimeoutMs, maxConcurrentLogins } = config.http;
  return { host, port, maxConnections, maxConnectionsPerAddress, requestTimeoutMs, maxConcurrentLogins };
}

function frameSourceService(laneId: string, source: FrameSource): Service {
  return { name: `camera:${laneId}`, start: () => source.start(), stop: () => source.stop() };
}

/** Something to release at stop (engines, the store): nothing to do at start. */
function resource(name: string, release: () => Promise<void>): Service {
  return { name, start: async () => {}, stop: release };
}

/** Starts services in order and stops the started ones in reverse, each step logged. */
function serviceList(services: readonly Service[], log: Logger) {
  let started: Service[] = [];
  const stop = async () => {
    for (const service of started.reverse()) {
      log.info({ service: service.name }, 'stopping');
      try {
        await service.stop();
      } catch (err) {
        log.error({ err, service: service.name }, 'stop failed');
      }
    }
    started = [];
  };
  return {
    async start() {
      for (const service of services) {
        log.info({ service: service.name }, 'starting');
        await service.start();
        started.push(service);
      }
    },
    stop,
  };
}
