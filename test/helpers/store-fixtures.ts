import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { FakeClock } from './fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import type { StoreConfig } from '../../src/config/store.js';
import { openStore, type Store, type StoreOptions } from '../../src/store/store.js';
import { loadOrCreateGateKey } from '../../src/evidence/gate-key.js';

export const STORE_DEFAULTS: StoreConfig = {
  synchronous: 'FULL',
  retentionDays: 90,
  quotaMb: 10240,
  retentionIntervalMs: 3_600_000,
  checkpointIntervalMs: 900_000,
  lists: { maxEntries: 200_000 },
};

/** A fresh temp directory per call, removed after the test (stores opened by `storeIn` are closed first). */
export function useTempDirs(): {
  make(): string;
  open(dir: string, options?: Partial<StoreOptions>, clock?: FakeClock): Store;
} {
  const dirs: string[] = [];
  const stores: Store[] = [];
  afterEach(() => {
    for (const store of stores.splice(0)) if (store.db.open) store.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return {
    make() {
      const dir = mkdtempSync(join(tmpdir(), 'smartgate-store-'));
      dirs.push(dir);
      return dir;
    },
    open(dir, options = {}, clock = new FakeClock()) {
      const store = openStore(
        { clock, log: silentLogger },
        // The daemon's gate key, so retention may prune the chain as the daemon's does.
        { dataDir: dir, siteId: 'mlt-kth', config: STORE_DEFAULTS, gateKey: loadOrCreateGateKey(dir).key, ...options },
      );
      stores.push(store);
      return store;
    },
  };
}
