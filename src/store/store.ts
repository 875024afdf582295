import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { StoreConfig } from '../config/store.js';
import { Accounts } from './accounts.js';
import { YardRecords } from './yard-records.js';
import { PostcheckRecords } from './postcheck-records.js';
import { CommandLog } from './command-log.js';
import { openDatabase, type Database, type DatabaseOptions } from './database.js';
import { EventStore } from './event-store.js';
import { FrameFiles } from './frame-files.js';
import { ListStore } from './lists.js';
import { migrate } from './migrations.js';
import { Retention } from './retention.js';
import { ChainPruning } from './chain-pruning.js';
import { ChainCheckpoints } from './chain-checkpoints.js';
import type { GateKey, GatePublicKey } from '../evidence/gate-key.js';
import { UlidFactory } from './ulid.js';

export const DATABASE_FILE = 'smartgate.db';

/**
 * The site of events recorded by a command that has no config (`smartgate user`) in a store no
 * daemon has opened yet. Not a valid site id, so it cannot clash with one; the daemon claims
 * such events for its site when it opens the store, before anything is published.
 */
export const SITE_NOT_YET_KNOWN = '?';

export interface StoreContext {
  clock: Clock;
  log: Logger;
}

export interface StoreOptions {
  dataDir: string;
  /** The site events are recorded under; SITE_NOT_YET_KNOWN for a command without a config. */
  siteId: string;
  /** The `store` config section; without `lists`, their defaults. */
  config: Omit<StoreConfig, 'lists' | 'checkpointIntervalMs'> & Partial<Pick<StoreConfig, 'lists'>>;
  /** Default: a new ULID, so boot ids sort by start time. */
  bootId?: string;
  busyTimeoutMs?: DatabaseOptions['busyTimeoutMs'];
  /**
   * The gate key (src/evidence/gate-key.ts): the daemon's, to sign what retention deletes from
   * the chain. A command without it may record events; retention then refuses to delete chained ones.
   */
  gateKey?: GateKey;
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
  /** The operators' page accounts (the `users` table). */
  readonly accounts: Accounts;
  /** The vehicles inside the yards and the calls forward (src/yard). */
  readonly yards: YardRecords;
  /** The passages on lanes deciding on fee declarations, for the post-check (src/postcheck). */
  readonly postcheck: PostcheckRecords;
  readonly frames: FrameFiles;
  /** One retention pass by age and quota (a RetentionService runs it periodically). */
  readonly retention: Retention;
  /** Signs the chain heads (a CheckpointService runs it); null without the gate key. */
  readonly checkpoints: ChainCheckpoints | null;
  /** The public half of the gate key, for the uplink to publish; null without the gate key. */
  readonly gateKey: GatePublicKey | null;
  close(): void;
}

/** Opens `${dataDir}/smartgate.db`, brings its schema up to date and builds the store's parts. */
export function openStore(ctx: StoreContext, options: StoreOptions): Store {
  const { dataDir, siteId, config } = options;
  const log = ctx.log.child({ module: 'store' });
  const db = openDatabase(join(dataDir, DATABASE_FILE), {
    synchronous: config.synchronous,
    busyTimeoutMs: options.busyTimeoutMs,
  });
  try {
    const applied = migrate(db, ctx.clock);
    if (applied.length > 0) log.info({ applied }, 'database schema migrated');
    if (siteId !== SITE_NOT_YET_KNOWN) {
      const claimed = claimEventsOfUnknownSite(db, siteId);
      if (claimed > 0) log.info({ claimed, siteId }, "events recorded before the site was known are now the site's");
    }
    const bootId = options.bootId ?? new UlidFactory(ctx.clock).next();
    const retention = new Retention(
      db,
      dataDir,
      ctx.clock,
      { retentionDays: config.retentionDays, quotaBytes: config.quotaMb * 1024 * 1024 },
      new ChainPruning(db, options.gateKey ?? null),
    );
    const events = new EventStore(db, { clock: ctx.clock, log }, { siteId, bootId });
    return {
      db,
      bootId,
      events,
      lists: new ListStore(db, ctx.clock, { ...(config.lists && { maxEntries: config.lists.maxEntries }) }),
      commandIds: new CommandLog(db),
      accounts: new Accounts(db),
      yards: new YardRecords(db),
      postcheck: new PostcheckRecords(db),
      frames: new FrameFiles(db, dataDir, ctx.clock, events),
      retention,
      checkpoints: options.gateKey
        ? new ChainCheckpoints(db, events, ctx.clock, { siteId, key: options.gateKey })
        : null,
      gateKey: options.gateKey
        ? {
            publicKey: options.gateKey.publicKey,
            publicKeyText: options.gateKey.publicKeyText,
            keyId: options.gateKey.keyId,
          }
        : null,
      close: () => db.close(),
    };
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Gives the events recorded under SITE_NOT_YET_KNOWN (and not yet delivered: nothing else can
 * have them) to `siteId`. Otherwise the uplink would publish them under a site no broker ACL
 * lets the gate write to, and the outbox, which keeps its order, would wait on them for ever.
 */
function claimEventsOfUnknownSite(db: Database, siteId: string): number {
  return db
    .prepare<[string, string]>(
      `UPDATE events SET site_id = ?
       WHERE site_id = ? AND event_id IN (SELECT event_id FROM outbox WHERE delivered_at IS NULL)`,
    )
    .run(siteId, SITE_NOT_YET_KNOWN).changes;
}
