#!/usr/bin/env node
// Event store throughput on this machine's disk, from the built code (npm run build first):
// append rate with synchronous FULL and NORMAL, and how fast the uplink's drain loop
// (pending + markDelivered) empties an outbox. Prints a Markdown table.
//
//   node scripts/bench-store.mjs [--events 100000] [--batch 500] [--dir DIR] [--baseline DIST]
//
// DIR (default: the system temp directory) should be on the disk the daemon's dataDir uses:
// FULL costs one fsync per event, so the figures are the disk's as much as the code's.
// --baseline DIST: the `dist` folder of another build (an earlier commit, built in a worktree;
// docs/benchmarks.md shows how): its store and this build's are opened side by side and
// appended to in alternating chunks, and the table gives both rates and their ratio.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = new URL('../', import.meta.url);
if (!existsSync(new URL('dist/store/store.js', root))) {
  console.error('dist/store/store.js is missing: run npm run build first');
  process.exit(1);
}
const { openStore } = await import(new URL('dist/store/store.js', root).href);
const { systemClock } = await import(new URL('dist/core/clock.js', root).href);
const { silentLogger } = await import(new URL('dist/core/log.js', root).href);

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '500' },
    dir: { type: 'string', default: tmpdir() },
    baseline: { type: 'string' },
  },
});
const baselineStore = values.baseline
  ? await import(pathToFileURL(resolve(values.baseline, 'store/store.js')).href)
  : null;
const EVENTS = Number(values.events);
const BATCH = Number(values.batch);
const CROP_EVENTS = Math.max(1, Math.round(EVENTS / 10));
const CROP = Buffer.alloc(8 * 1024, 0x5a);
const LANES = ['entry-1', 'entry-2', 'exit-1', 'exit-2'];

/** A plate read about the size the lanes record. */
const payload = (i) => ({
  plate: { text: '29C12345', display: '29C-123.45', country: 'VN', kind: 'private', layout: 'one-row' },
  confidence: 0.93,
  votes: 5,
  bbox: { x: 412, y: 388, w: 160, h: 44 },
  i,
});

function withStore(synchronous, fn, open = openStore) {
  const dir = mkdtempSync(join(values.dir, 'smartgate-bench-'));
  const config = { synchronous, retentionDays: 90, quotaMb: 1024 * 1024, retentionIntervalMs: 3_600_000 };
  const store = open({ clock: systemClock, log: silentLogger }, { dataDir: dir, siteId: 'bench', config });
  try {
    return fn(store);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function timed(fn) {
  const start = performance.now();
  fn();
  return (performance.now() - start) / 1000;
}

const rows = [];
const row = (what, synchronous, count, seconds) =>
  rows.push([
    what,
    synchronous,
    count.toLocaleString('en'),
    seconds.toFixed(2),
    Math.round(count / seconds).toLocaleString('en'),
  ]);

for (const synchronous of ['FULL', 'NORMAL']) {
  withStore(synchronous, (store) => {
    const append = timed(() => {
      for (let i = 0; i < EVENTS; i++)
        store.events.append({ type: 'plate.read', laneId: LANES[i % LANES.length], payload: payload(i) });
    });
    row('append', synchronous, EVENTS, append);

    let pendingCountMs = 0;
    let drained = 0;
    const drain = timed(() => {
      const t = performance.now();
      store.events.pendingCount();
      pendingCountMs = performance.now() - t;
      // As the uplink drains: read a page after the last position, acknowledge it, go on.
      let after = 0;
      for (;;) {
        const page = store.events.pending(BATCH, after);
        if (page.length === 0) break;
        store.events.markDelivered(page.map((e) => e.outboxId));
        after = page.at(-1).outboxId;
        drained += page.length;
      }
    });
    if (drained !== EVENTS || store.events.pendingCount() !== 0) throw new Error(`drained ${drained} of ${EVENTS}`);
    row(`pending(${BATCH}) + markDelivered`, synchronous, EVENTS, drain);
    rows.push([
      `pendingCount() with ${EVENTS.toLocaleString('en')} pending`,
      synchronous,
      '1',
      (pendingCountMs / 1000).toFixed(4),
      '',
    ]);
  });

  withStore(synchronous, (store) => {
    const append = timed(() => {
      for (let i = 0; i < CROP_EVENTS; i++)
        store.events.append({ type: 'plate.read', laneId: LANES[i % LANES.length], payload: payload(i), crop: CROP });
    });
    row('append with an 8 KB crop', synchronous, CROP_EVENTS, append);
  });
}

// This build against the baseline's: both stores open side by side, appending in alternating
// chunks (who goes first alternates too), so that both see the same disk and the same load.
const comparisons = [];
if (baselineStore) {
  const CHUNK = 500;
  const compare = (synchronous, crop) => {
    const count = crop ? CROP_EVENTS : EVENTS;
    return withStore(
      synchronous,
      (base) =>
        withStore(synchronous, (chained) => {
          const seconds = [0, 0];
          const stores = [base, chained];
          for (let start = 0, round = 0; start < count; start += CHUNK, round++) {
            for (const which of round % 2 === 0 ? [0, 1] : [1, 0]) {
              seconds[which] += timed(() => {
                for (let i = start; i < Math.min(start + CHUNK, count); i++)
                  stores[which].events.append({
                    type: 'plate.read',
                    laneId: LANES[i % LANES.length],
                    payload: payload(i),
                    ...(crop ? { crop: CROP } : {}),
                  });
              });
            }
          }
          return seconds.map((s) => count / s);
        }),
      baselineStore.openStore,
    );
  };
  for (const synchronous of ['FULL', 'NORMAL']) {
    for (const crop of [false, true]) {
      const [base, chained] = compare(synchronous, crop);
      comparisons.push([
        crop ? 'append with an 8 KB crop' : 'append',
        synchronous,
        Math.round(base).toLocaleString('en'),
        Math.round(chained).toLocaleString('en'),
        `${((chained / base - 1) * 100).toFixed(1)} %`,
      ]);
    }
  }
}

const fsType = (() => {
  try {
    return execFileSync('df', ['--output=fstype', values.dir], { encoding: 'utf8' }).trim().split('\n').at(-1);
  } catch {
    return 'unknown';
  }
})();
const sqlite = withStore('NORMAL', (store) => store.db.prepare('SELECT sqlite_version()').pluck().get());
console.log(
  `Node ${process.version}, SQLite ${sqlite}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${values.dir} on ${fsType}\n`,
);
console.log('| operation | synchronous | events | seconds | events/s |');
console.log('|---|---|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
if (comparisons.length > 0) {
  console.log(`\nAgainst ${values.baseline}, side by side in alternating chunks, events/s:\n`);
  console.log('| operation | synchronous | baseline | this build | change |');
  console.log('|---|---|---:|---:|---:|');
  for (const r of comparisons) console.log(`| ${r.join(' | ')} |`);
}
