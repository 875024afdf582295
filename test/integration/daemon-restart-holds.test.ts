import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import { buildGate } from '../../src/gate/build-gate.js';
import { openStore, type Store } from '../../src/store/store.js';
import type { PlateFinder, PlateReader } from '../../src/vision/types.js';
import { voted } from '../helpers/voted.js';

// A daemon restarted on the same data directory holds again what its previous run left held:
// the held vehicle is not forgotten (src/lane/flow/pending-holds.ts). Nothing is started: the lanes
// are built, fed reads by hand, and their state read back.
const UNUSED_ENGINE = {} as PlateFinder & PlateReader;
const operator = { operator: 'nguyen.van.a', reason: 'papers checked', source: 'page' as const };

let dataDir: string | undefined;
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) if (s.db.open) s.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** One run of the daemon on `dataDir`: a fresh store (new boot id) and daemon, lanes built, nothing started. */
async function boot(clock: FakeClock) {
  const config = configSchema.parse({
    site: { id: 'mlt-kth', name: 'Ma Lù Thàng' },
    dataDir,
    lanes: [
      { id: 'entry-1', direction: 'entry', camera: { url: 'rtsp://127.0.0.1:9/none' }, barrier: { driver: 'none' } },
    ],
  });
  const store = openStore(
    { clock, log: silentLogger },
    { dataDir: dataDir!, siteId: config.site.id, config: config.store },
  );
  stores.push(store);
  const daemon = await buildGate(config, { clock, log: silentLogger, store, engine: UNUSED_ENGINE });
  return { store, lane: daemon.lanes[0]!.controller };
}

describe('a restarted daemon keeps its pending holds', () => {
  it('holds the vehicles the last run left held, oldest at the barrier; resolved holds stay resolved', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'smartgate-restart-holds-'));
    const clock = new FakeClock(Date.UTC(2026, 11, 2, 8, 0, 0));
    const first = await boot(clock);
    first.lane.onRead(voted('29C99991')); // unknown: held at the barrier
    clock.advance(1000);
    first.lane.onRead(voted('29C99992')); // another, while the first is held: waits behind it
    clock.advance(1000);
    first.lane.onRead(voted('29C99993'));
    const [h1, h2, h3] = first.lane.snapshot().holds;
    expect(first.lane.refuse(h2!.holdId, operator).ok).toBe(true);
    first.store.close(); // the daemon stops (or dies) here

    clock.advance(60_000);
    const second = await boot(clock);
    expect(second.store.bootId).not.toBe(first.store.bootId);
    expect(second.lane.snapshot()).toMatchObject({ phase: 'held', vehicle: { plate: '29C99991' }, holds: [h1, h3] });
    // And the operator can act on them, as before the restart.
    expect(second.lane.refuse(h1!.holdId, operator).ok).toBe(true);
    expect(second.lane.snapshot()).toMatchObject({ phase: 'held', holds: [h3] });
    second.store.close();

    const third = await boot(clock);
    expect(third.lane.snapshot().holds).toEqual([h3]);
  });

  it('a hold made more than a day before the restart is not held again', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'smartgate-restart-holds-'));
    const clock = new FakeClock(Date.UTC(2026, 11, 2, 8, 0, 0));
    const first = await boot(clock);
    first.lane.onRead(voted('29C99991'));
    expect(first.lane.snapshot().holds).toHaveLength(1);
    first.store.close();
    clock.advance(25 * 60 * 60_000);
    expect((await boot(clock)).lane.snapshot()).toMatchObject({ phase: 'idle', holds: [] });
  });
});
