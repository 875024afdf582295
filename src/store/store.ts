import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { StoreConfig } from '../config/store.js';
import { CommandLog } from './command-log.js';
import { openDatabase, type Database, type DatabaseOptions } from './database.js';
import { EventStore } from './event-store.js';
import { FrameFiles } from './frame-files.js';
import { ListStore } from './lists.js';
import { migrate } from './migrations.js';
import { Retention } from './retention.js';
import { RetentionService, type RetentionServiceOptions } from './retention-service.js';
import { UlidFactory } from './ulid.js';

export const DATABASE_FILE = 'smartgate.db';

export interface StoreContext {
  clock: Clock;
  log: Logger;
}

export interface StoreOptions {
  dataDir: string;
  siteId: string;
  /** The `store` config section; without `lists`, their defaults. */
  config: Omit<StoreConfig, 'lists'> & Partial<Pick<StoreConfig, 'lists'>>;
  /** Default: a new ULID, so boot ids sort by start time. */
  bootId?: string;
  busyTimeoutMs?: DatabaseOptions['busyTimeoutMs'];
  onAlarm?: RetentionServiceOptions['onAlarm'];
}

/** Everything the daemon needs from the store, over one database connection. */
export interface Store {
  readonly db: Database;
  readonly bootId: string;
  /** Also the store's transactions (`events.transaction`), which cover every part below. */
  readonly events: EventStore;
  readonly lists: ListStore;
  /** Ids of central's commands already received (replay protection). */
  readonly commandIds: CommandLog;
  readonly frames: FrameFiles;
  /** A Service: add it to the daemon's list so retention runs periodically. */
  readonly retention: RetentionService;
  close(): void;
}

/** Opens `${dataDir}/smartgate.db`, brings its schema up to date and builds the store's parts. */
export function openStore(ctx: StoreContext, options: StoreOptions): Store {
  const { dataDir, siteId, config } = options;
  const log = ctx.log.child({ module: 'store' });
  const db = openDatabase(join(dataDir, DATABASE_FILE), { synchronous: config.synchronous, busyTimeoutMs: options.busyTimeoutMs });
  try {
    const applied = migrate(db, ctx.clock);
    if (applied.length > 0) log.info({ applied }, 'database schema migrated');
    const bootId = options.bootId ?? new UlidFactory(ctx.clock).next();
    const retention = new Retention(db, dataDir, ctx.clock, {
      retentionDays: config.retentionDays,
      quotaBytes: config.quotaMb * 1024 * 1024,
    });
    return {
      db,
      bootId,
      events: new EventStore(db, { clock: ctx.clock, log }, { siteId, bootId }),
      lists: new ListStore(db, ctx.clock, { ...(config.lists && { maxEntries: config.lists.maxEntries }) }),
      commandIds: new CommandLog(db),
      frames: new FrameFiles(db, dataDir, ctx.clock),
      retention: new RetentionService({ clock: ctx.clock, log }, retention, { intervalMs: config.retentionIntervalMs, onAlarm: options.onAlarm }),
      close: () => db.close(),
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
