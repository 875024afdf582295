import { parseArgs } from 'node:util';
import { systemClock } from '../core/clock.js';
import { createLogger } from '../core/log.js';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { configWarnings } from '../config/warnings.js';
import { Daemon, type WebParts } from '../daemon.js';
import { plateReadJson } from '../lane/reading/format-read.js';
import type { Decision } from '../lane/deciding/decide.js';
import type { VotedPlateRead } from '../plates/voter.js';
import { StoreLockedError } from '../store/database.js';
import { SchemaTooNewError } from '../store/migrations.js';
import { openStore, type Store } from '../store/store.js';
import type { StoredEvent } from '../store/types.js';
import type { Service } from '../core/service.js';
import { recordStoreAlarm } from '../store/store-alarm.js';
import { createEngines, type EngineSet } from '../vision/engines.js';
import { ModelIntegrityError } from '../vision/model-manifest.js';
import { mkdirSync } from 'node:fs';
import { runUntilSignal } from './lifecycle.js';
import { helpRequested, printUsage } from './usage.js';
import type { Logger } from '../core/log.js';
import { AnnotatedFrameRenderer } from '../lane/reading/annotated-frame.js';
import { EventAuthAudit } from '../web/auth/audit.js';
import { SlidingWindowLoginLimiter } from '../web/auth/login-limiter.js';
import { MemorySessionStore } from '../web/auth/sessions.js';
import { UserStore } from '../web/auth/users.js';
import { LiveVideoServer } from '../web/live-video.js';
import { loadTlsFiles, TlsFileError, type TlsFiles } from '../web/tls-files.js';

const USAGE = 'usage: smartgate run --config FILE';

/** `smartgate run --config FILE`: the gate daemon, until SIGTERM or SIGINT. */
export async function runCommand(argv: string[]): Promise<number> {
  if (helpRequested(argv)) return printUsage(USAGE);
  let configPath: string | undefined;
  try {
    configPath = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } } }).values.config;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!configPath) {
    console.error(`--config: required\n${USAGE}`);
    return 2;
  }
  let config: Config;
  try {
    config = await loadConfig(configPath);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Same report as check-config: every problem, then refuse to start.
    console.error(err.message);
    return 2;
  }
  return runDaemon(config);
}

export interface RunDaemonOptions {
  /** Called with each voted read and what the lane decided, besides the structured log lines. */
  onDecision?: (laneId: string, read: VotedPlateRead, decision: Decision) => void;
  /** Called with each actuation, alarm, operator action and vehicle outcome a lane records. */
  onLaneRecord?: (laneId: string, event: StoredEvent) => void;
  /** More services to run beside the daemon's (started after it, stopped before it): the demo's traffic. */
  extraServices?: (daemon: Daemon) => Service[];
  /** Called once the store is open, before anything runs (the demo seeds its lists). */
  prepareStore?: (store: Store) => void;
  /** Stop by itself after this many seconds (demo and tests). */
  stopAfterSeconds?: number;
  /** Serve the status page on a free port when http.port is taken (the demo). */
  httpFreePortIfBusy?: boolean;
  /** Called once everything runs (the demo prints the page's URL). */
  onStarted?: (daemon: Daemon) => void;
}

/** The status page's real parts: accounts in the store, sessions in memory, live video and frames of the lanes. */
function webParts(daemon: Daemon, config: Config, store: Store, log: Logger, opts: RunDaemonOptions, tls: TlsFiles | undefined): WebParts {
  return {
    users: new UserStore(store.db, systemClock),
    audit: new EventAuthAudit(store.events, log.child({ module: 'web' })),
    tls,
    sessions: new MemorySessionStore(systemClock),
    limiter: new SlidingWindowLoginLimiter(systemClock),
    liveVideo: new LiveVideoServer(
      config.lanes.map((lane) => ({ laneId: lane.id, ...lane.camera })),
      { clock: systemClock, log },
    ),
    frames: new AnnotatedFrameRenderer((laneId) => daemon.lanes.find((l) => l.id === laneId)?.reader, systemClock),
    freePortIfBusy: opts.httpFreePortIfBusy ?? false,
  };
}

/** Builds and runs the daemon for a validated config; shared by `run` and `demo`. */
export async function runDaemon(config: Config, opts: RunDaemonOptions = {}): Promise<number> {
  const log = createLogger(config.log.level);
  log.info({ site: config.site.id, lanes: config.lanes.map((l) => l.id) }, 'smartgate starting');
  // The same as check-config prints: valid, but unsafe at a gate.
  for (const warning of configWarnings(config)) log.warn({ warning }, `config: ${warning}`);
  let tls: TlsFiles | undefined;
  try {
    tls = config.http.tls && config.http.enabled !== false ? loadTlsFiles(config.http.tls) : undefined;
  } catch (err) {
    if (!(err instanceof TlsFileError)) throw err;
    console.error(err.message);
    return 2;
  }
  let engines: EngineSet;
  try {
    // Before the store is touched: a model that is not what its manifest says is a setup
    // error like a bad config, and the gate must not run on it.
    engines = await createEngines(config.lanes.map((l) => l.recognition));
  } catch (err) {
    if (!(err instanceof ModelIntegrityError)) throw err;
    console.error(`recognition: ${err.message}`);
    return 2;
  }
  let store: Store;
  try {
    mkdirSync(config.dataDir, { recursive: true });
    store = openStore(
      { clock: systemClock, log },
      {
        dataDir: config.dataDir,
        siteId: config.site.id,
        config: config.store,
        onAlarm: (alarm, result) => recordStoreAlarm(store.events, log, alarm, result),
      },
    );
  } catch (err) {
    await engines.close();
    if (!(err instanceof StoreLockedError || err instanceof SchemaTooNewError)) throw err;
    console.error(`dataDir: ${err.message}`);
    return 2;
  }
  opts.prepareStore?.(store);
  const daemon = new Daemon(
    { clock: systemClock, log, store, web: (d) => webParts(d, config, store, log, opts, tls) },
    config,
    (lane) => engines.forChoice(lane.recognition),
  );
  const owner = {};
  daemon.bus.on(owner, 'plate.read', ({ laneId, read }) => {
    const line = plateReadJson(laneId, read);
    log.info({ event: 'plate.read', ...line }, 'plate read');
  });
  daemon.bus.on(owner, 'lane.decision', ({ laneId, read, decision }) => {
    const { action, reason, alarm, detail } = decision;
    log[alarm ? 'warn' : 'info']({ event: 'decision', lane: laneId, text: read.plate.text, action, reason, alarm, detail }, 'decision');
    opts.onDecision?.(laneId, read, decision);
  });
  daemon.bus.on(owner, 'lane.recorded', ({ laneId, event }) => opts.onLaneRecord?.(laneId, event));
  const statsTimer = setInterval(() => log.info({ stats: daemon.stats() }, 'daemon stats'), 30_000);
  statsTimer.unref();
  const extras = opts.extraServices?.(daemon) ?? [];
  const until = opts.stopAfterSeconds ? new Promise((r) => setTimeout(r, opts.stopAfterSeconds! * 1000).unref()) : undefined;
  return runUntilSignal(
    {
      start: async () => {
        await daemon.start();
        for (const service of extras) await service.start();
        if (daemon.web) log.info({ page: `${daemon.web.url}/` }, `page: ${daemon.web.url}/`);
        opts.onStarted?.(daemon);
      },
      stop: async () => {
        clearInterval(statsTimer);
        for (const service of [...extras].reverse()) await service.stop();
        await daemon.stop();
        daemon.bus.removeAll(owner);
        await engines.close();
        store.close();
      },
    },
    log,
    until,
  );
}
