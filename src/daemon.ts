import { createBarrier, openingTimeoutMs, type BuiltBarrier } from './barrier/factory.js';
import { EventBus } from './core/bus.js';
import type { Clock } from './core/clock.js';
import type { Logger } from './core/log.js';
import type { Service } from './core/service.js';
import { createFrameSource } from './camera/factory.js';
import type { FrameSource } from './camera/types.js';
import type { Config, LaneConfig } from './config/index.js';
import type { LaneEvents } from './lane/events.js';
import { LaneReader } from './lane/reading/lane-reader.js';
import { LaneController } from './lane/flow/lane-controller.js';
import { LaneDecider } from './lane/deciding/decider.js';
import { EvidenceFrames } from './lane/reading/evidence-frames.js';
import { PlateReadRecorder } from './lane/reading/plate-read-recorder.js';
import { HOLD_EVENT_TYPES, HOLD_RESTORE_WINDOW_MS, pendingHolds } from './lane/flow/pending-holds.js';
import { parsePlate } from './plates/parse.js';
import type { Store } from './store/store.js';
import { centralHandlers } from './uplink/central-handlers.js';
import type { GateSnapshot } from './uplink/state-publisher.js';
import { createUplink, type Uplink } from './uplink/uplink.js';
import { smartgateVersion } from './core/version.js';
import type { PlateFinder, PlateReader } from './vision/types.js';
import { DEFAULT_MIN_CHAR_CONFIDENCE } from './vision/engine-names.js';
import { AnnotatedFrameRenderer } from './lane/reading/annotated-frame.js';
import { daemonGateView } from './web/gate-view.js';
import type { TlsFiles } from './web/tls-files.js';
import { WebServer, type WebServerDeps } from './web/http-server.js';

export type DaemonEvents = LaneEvents;

export interface DaemonContext {
  clock: Clock;
  log: Logger;
  /** Opened by the caller, which closes it after stop(). */
  store: Store;
  /**
   * Builds the status page's parts once the lanes exist (live video and frames need them);
   * without it, or with `http.enabled: false`, no page is served.
   */
  web?: (daemon: Daemon) => WebParts;
}

export type WebParts = Omit<WebServerDeps, 'gate'> & {
  /** Listen on a free port when the configured one is taken (the demo). */
  freePortIfBusy?: boolean;
  /** The files of http.tls, read and checked before the daemon starts. */
  tls?: TlsFiles;
}

export interface LaneParts {
  id: string;
  camera: FrameSource;
  reader: LaneReader;
  controller: LaneController;
  /** Null for `barrier.driver: none`; for `simulator`, its simulated board is here too. */
  barrier: BuiltBarrier | null;
}

/**
 * The composition root: builds every service from the config and runs them. Start in order,
 * stop in reverse, each step logged. No business logic lives here.
 */
export class Daemon {
  readonly bus: EventBus<DaemonEvents>;
  readonly lanes: LaneParts[];
  readonly recorder: PlateReadRecorder;
  readonly decider: LaneDecider;
  /** Keeps each decision's frame, drawn with its plate, in the store's frame files. */
  readonly evidence: EvidenceFrames;
  /** Null when the config names no broker. */
  readonly uplink: Uplink | null;
  /** Null when no web parts were given or the config turns the page off. */
  readonly web: WebServer | null;
  private readonly services: Service[];
  private readonly startedAt: number;
  private readonly quotaBytes: number;
  private started: Service[] = [];

  constructor(
    private readonly ctx: DaemonContext,
    config: Config,
    /** One engine for every lane, or each lane's own (lanes may name different engines). */
    engine: (PlateFinder & PlateReader) | ((lane: LaneConfig) => PlateFinder & PlateReader),
  ) {
    this.bus = new EventBus<DaemonEvents>(ctx.log.child({ module: 'bus' }));
    this.startedAt = ctx.clock.monotonic();
    this.quotaBytes = config.store.quotaMb * 1024 * 1024;
    const { store } = ctx;
    this.recorder = new PlateReadRecorder({ bus: this.bus, log: ctx.log }, store.events);
    this.decider = new LaneDecider({ bus: this.bus, log: ctx.log.child({ module: 'decider' }), clock: ctx.clock }, { sink: store.events, lists: store.lists });
    this.lanes = config.lanes.map((lane) => this.buildLane(lane, typeof engine === 'function' ? engine(lane) : engine));
    // A renderer of its own: the page's one caches pictures for its viewers.
    const evidenceRenderer = new AnnotatedFrameRenderer((laneId) => this.lanes.find((l) => l.id === laneId)?.reader, ctx.clock);
    this.evidence = new EvidenceFrames({ bus: this.bus, log: ctx.log.child({ module: 'evidence' }) }, { renderer: evidenceRenderer, frames: store.frames });
    this.uplink = createUplink(
      { clock: ctx.clock, log: ctx.log },
      {
        siteId: config.site.id,
        bootId: store.bootId,
        outbox: store.events,
        config: config.mqtt,
        inbound:
          config.mqtt &&
          centralHandlers({
            clock: ctx.clock,
            bootId: store.bootId,
            laneIds: config.lanes.map((l) => l.id),
            config: config.mqtt.commands,
            store,
            lanes: this.lanes.map((l) => l.controller),
          }),
        snapshot: () => this.snapshot(),
      },
    );
    // Central sees a lane's phase, holds and barrier change without waiting for the interval.
    this.bus.on(this, 'lane.state', () => this.uplink?.state?.publishSoon());
    this.web = ctx.web && config.http.enabled !== false ? this.buildWeb(ctx.web(this), config) : null;
    // Stopped in reverse: the readers flush their last votes while the recorder and the lane
    // controllers still listen, and the uplink forwards until the lanes are quiet.
    this.services = [
      store.retention,
      ...(this.uplink ? [this.uplink] : []),
      // Listeners in this order: a read is recorded, then decided and acted on. Evidence
      // stops after the lanes, so the decisions of their last votes keep their frames.
      this.recorder,
      this.evidence,
      ...this.lanes.map((l) => l.controller),
      ...this.lanes.flatMap((l) => [serviceOf(`camera:${l.id}`, l.camera), l.reader]),
      // Last: the page opens once there is a gate to show, and closes before it goes.
      ...(this.web ? [this.web] : []),
    ];
  }

  async start(): Promise<void> {
    for (const service of this.services) {
      this.ctx.log.info({ service: service.name }, 'starting');
      await service.start();
      this.started.push(service);
    }
  }

  async stop(): Promise<void> {
    for (const service of this.started.reverse()) {
      this.ctx.log.info({ service: service.name }, 'stopping');
      try {
        await service.stop();
      } catch (err) {
        this.ctx.log.error({ err, service: service.name }, 'stop failed');
      }
    }
    this.started = [];
    this.bus.removeAll(this);
    for (const lane of this.lanes) lane.barrier?.simulator?.stop();
  }

  /** Health and lane states in the wire shapes of the retained snapshot topics. */
  snapshot(): GateSnapshot {
    const ts = this.ctx.clock.now();
    return {
      health: {
        bootId: this.ctx.store.bootId,
        version: smartgateVersion(),
        ts,
        uptimeMs: Math.round(this.ctx.clock.monotonic() - this.startedAt),
        outboxPending: this.ctx.store.events.pendingCount(),
        store: this.storeUsage(),
        lanes: this.lanes.map((l) => l.id),
      },
      lanes: this.lanes.map((l) => {
        const { state, fpsIn, fpsProcessed, framesDropped, lastFrameAgeMs, restarts, lastError } = l.camera.stats();
        return {
          laneId: l.id,
          ts,
          camera: { state, fpsIn, fpsProcessed, framesDropped, lastFrameAgeMs, restarts, lastError },
          reader: { ...l.reader.stats() },
          ...laneFlow(l.controller),
        };
      }),
    };
  }

  private storeUsage(): GateSnapshot['health']['store'] {
    const last = this.ctx.store.retention.stats().lastResult;
    return {
      usedBytes: last ? last.usage.totalBytes : null,
      quotaBytes: this.quotaBytes,
      quotaExceeded: last?.quotaExceeded ?? false,
    };
  }

  /** Counters for logs and the status page's metrics. */
  stats() {
    return {
      lanes: this.lanes.map((l) => ({ lane: l.id, camera: l.camera.stats(), reader: l.reader.stats() })),
      recorder: this.recorder.stats(),
      decider: this.decider.stats(),
      evidence: this.evidence.stats(),
      controllers: this.lanes.map((l) => ({ lane: l.id, ...l.controller.stats() })),
      outboxPending: this.ctx.store.events.pendingCount(),
      retention: this.ctx.store.retention.stats(),
      uplink: this.uplink?.stats() ?? null,
    };
  }

  private buildWeb({ freePortIfBusy, tls, ...parts }: WebParts, config: Config): WebServer {
    const { host, port, maxConnections, maxConnectionsPerAddress, requestTimeoutMs, maxConcurrentLogins } = config.http;
    return new WebServer(
      { log: this.ctx.log.child({ module: 'web' }) },
      { ...parts, gate: daemonGateView(this, config, this.ctx.store, this.ctx.clock) },
      { host, port, freePortIfBusy: freePortIfBusy ?? false, tls, maxConnections, maxConnectionsPerAddress, requestTimeoutMs, maxConcurrentLogins },
    );
  }

  private buildLane(lane: LaneConfig, engine: PlateFinder & PlateReader): LaneParts {
    const log = this.ctx.log.child({ lane: lane.id });
    const camera = createFrameSource({ id: lane.id, ...lane.camera }, { clock: this.ctx.clock, log });
    const { motion, countries, minConfidence, engine: engineName } = lane.recognition;
    const minCharConfidence = lane.recognition.minCharConfidence ?? DEFAULT_MIN_CHAR_CONFIDENCE[engineName];
    const reader = new LaneReader(
      { clock: this.ctx.clock, log, bus: this.bus },
      {
        laneId: lane.id,
        roi: lane.roi,
        countries,
        minConfidence,
        minCharConfidence,
        motion: motion.enabled ? { threshold: motion.threshold, minChangedFraction: motion.minChangedFraction, holdMs: motion.holdMs, gridWidth: 64 } : null,
        voting: { ...lane.voting, reparse: (text) => parsePlate([text], { countries }) },
      },
      camera,
      engine,
    );
    const barrierLog = log.child({ module: 'barrier' });
    // The driver reports to the controller, which exists only once the driver does.
    let controller: LaneController | null = null;
    const barrier = createBarrier(lane.barrier, { clock: this.ctx.clock, log: barrierLog, onStatus: (status) => controller?.onBarrierStatus(status) });
    controller = new LaneController(
      { bus: this.bus, log: log.child({ module: 'lane' }), clock: this.ctx.clock },
      { decider: this.decider, sink: this.ctx.store.events, barrier: barrier?.driver ?? null },
      {
        lane: { id: lane.id, direction: lane.direction, rules: lane.decisions },
        flow: lane.flow,
        barrierDriver: lane.barrier.driver,
        loopWired: lane.barrier.driver === 'simulator' || (lane.barrier.driver === 'modbus' && lane.barrier.inputs.loop !== undefined),
        commandDeadlineMs: lane.barrier.commandDeadlineMs,
        openingTimeoutMs: openingTimeoutMs(lane.barrier),
      },
      pendingHolds(this.ctx.store.events.laneHistory(lane.id, HOLD_EVENT_TYPES, this.ctx.clock.now() - HOLD_RESTORE_WINDOW_MS)),
    );
    return { id: lane.id, camera, reader, controller, barrier };
  }
}

/** The lane state's `flow` and `barrier`, from the controller's snapshot. */
function laneFlow(controller: LaneController) {
  const { barrier, ...flow } = controller.snapshot();
  return { flow, barrier };
}

function serviceOf(name: string, source: FrameSource): Service {
  return { name, start: () => source.start(), stop: () => source.stop() };
}
