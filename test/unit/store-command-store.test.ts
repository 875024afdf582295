import { copyFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import { chainFieldsOf, type ChainColumns } from '../../src/store/chain-columns.js';
import {
  NEWEST_SCHEMA_VERSION,
  openCommandStore,
  SchemaMismatchError,
  StoreReplacedError,
} from '../../src/store/command-store.js';
import { StoreLockedError } from '../../src/store/database.js';
import { DATABASE_FILE } from '../../src/store/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { STORE_DEFAULTS, useTempDirs } from '../helpers/store-fixtures.js';

// The lock/no-lock decision of a short command (`smartgate user`): the only writer when the
// store is free, a second writer beside the process that holds it otherwise.

const temp = useTempDirs();
const ctx = () => ({ clock: new FakeClock(), log: silentLogger });
const open = (dataDir: string) => openCommandStore(ctx(), { dataDir, config: STORE_DEFAULTS, lockWaitMs: 50 });
const alarm = { type: 'alarm' as const, laneId: 'gate', payload: { alarm: 'test' } };

describe('openCommandStore', () => {
  it('with nobody holding the store: takes the writer lock and brings the schema up to date', () => {
    const dir = temp.make();
    const command = open(dir);
    try {
      expect(command.besideWriter).toBe(false);
      expect(command.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({
        v: NEWEST_SCHEMA_VERSION,
      });
      // As the daemon does: a daemon starting now finds the store locked.
      expect(() => temp.open(dir, { busyTimeoutMs: 50 })).toThrow(StoreLockedError);
    } finally {
      command.close();
    }
    temp.open(dir).close();
  });

  it('beside the holder: writes without the lock, and its events chain with the holder’s on the same lane', () => {
    const dir = temp.make();
    const daemon = temp.open(dir, { siteId: 'mlt-kth' });
    try {
      daemon.events.append(alarm);
      const command = open(dir);
      try {
        expect(command.besideWriter).toBe(true);
        const events = command.events('mlt-kth');
        command.transaction(() => events.append(alarm));
        daemon.events.append(alarm);
        command.transaction(() => events.append(alarm));
      } finally {
        command.close();
      }
      daemon.events.append(alarm);
      const rows = daemon.db
        .prepare("SELECT * FROM events WHERE lane_id = 'gate' ORDER BY seq")
        .all() as (ChainColumns & { seq: number; boot_id: string })[];
      const chain = rows.map((r) => chainFieldsOf(r)!);
      expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(new Set(rows.map((r) => r.boot_id)).size).toBe(2);
      expect(chain[0]!.prevHash).toBeNull();
      for (let i = 1; i < chain.length; i++) expect(chain[i]!.prevHash).toBe(chain[i - 1]!.chainHash);
    } finally {
      daemon.close();
    }
  });

  it('beside the holder: refuses a store of another schema version before writing anything', () => {
    const dir = temp.make();
    const daemon = temp.open(dir);
    try {
      daemon.db.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (1000, 'newer', 0)");
      expect(() => open(dir)).toThrow(SchemaMismatchError);
      expect(() => open(dir)).toThrow(
        `has schema version 1000, but this smartgate writes version ${NEWEST_SCHEMA_VERSION}`,
      );
    } finally {
      daemon.close();
    }
  });

  it('beside the holder: checks the schema again in each transaction, and rolls back', () => {
    const dir = temp.make();
    const daemon = temp.open(dir);
    try {
      const command = open(dir);
      try {
        // A newer smartgate migrated the store meanwhile.
        daemon.db.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (1000, 'newer', 0)");
        const events = command.events('mlt-kth');
        expect(() => command.transaction(() => events.append(alarm))).toThrow(SchemaMismatchError);
        expect(daemon.events.pendingCount()).toBe(0);
      } finally {
        command.close();
      }
    } finally {
      daemon.close();
    }
  });

  it('beside the holder: refuses to write once the file at the path is another one (a restore)', () => {
    const dir = temp.make();
    const daemon = temp.open(dir);
    try {
      const command = open(dir);
      try {
        const path = join(dir, DATABASE_FILE);
        renameSync(path, `${path}.before-restore`);
        copyFileSync(`${path}.before-restore`, path);
        expect(() => command.transaction(() => command.events('mlt-kth').append(alarm))).toThrow(StoreReplacedError);
      } finally {
        command.close();
      }
    } finally {
      daemon.close();
    }
  });
});
