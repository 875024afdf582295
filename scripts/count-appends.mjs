#!/usr/bin/env node
// Appends N plate reads to a fresh store with synchronous NORMAL and exits: a fixed workload
// whose instructions valgrind counts the same on every run, whatever else the machine is doing.
// The chain's cost in instructions per append (docs/benchmarks.md) is the difference between
// two counts, so start-up and compilation drop out:
//
//   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.3000 node scripts/count-appends.mjs 3000
//   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.9000 node scripts/count-appends.mjs 9000
//   # (Collected 9000 - Collected 3000) / 6000 = instructions per append
//
// --dist DIR times another build (an earlier commit's dist, as bench-store.mjs --baseline).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { dist: { type: 'string' } } });
const count = Number(positionals[0] ?? 3000);
if (!Number.isInteger(count) || count < 0) {
  console.error('usage: node scripts/count-appends.mjs N [--dist DIR]   (N: appends, a whole number)');
  process.exit(2);
}
const dist = resolve(values.dist ?? new URL('../dist', import.meta.url).pathname);
if (!existsSync(join(dist, 'store/store.js'))) {
  console.error(`${dist}/store/store.js is missing: run npm run build first`);
  process.exit(1);
}
const load = (path) => import(pathToFileURL(join(dist, path)).href);
const { openStore } = await load('store/store.js');
const { systemClock } = await load('core/clock.js');
const { silentLogger } = await load('core/log.js');

/** The plate read bench-store.mjs appends. */
const payload = (i) => ({
  plate: { text: '29C12345', display: '29C-123.45', country: 'VN', kind: 'private', layout: 'one-row' },
  confidence: 0.93,
  votes: 5,
  bbox: { x: 412, y: 388, w: 160, h: 44 },
  i,
});
const LANES = ['entry-1', 'entry-2', 'exit-1', 'exit-2'];
const dir = mkdtempSync(join(tmpdir(), 'smartgate-count-'));
const config = { synchronous: 'NORMAL', retentionDays: 90, quotaMb: 1024 * 1024, retentionIntervalMs: 3_600_000 };
const store = openStore({ clock: systemClock, log: silentLogger }, { dataDir: dir, siteId: 'bench', config });
try {
  for (let i = 0; i < count; i++)
    store.events.append({ type: 'plate.read', laneId: LANES[i % LANES.length], payload: payload(i) });
} finally {
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
