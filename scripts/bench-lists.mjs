#!/usr/bin/env node
// What a big list costs the lane, from the built code (npm run build first): a store holding
// ENTRIES allow entries (and a few deny and watch ones), a LaneDecider over it, and the time of
// decide() — the first one (index built), steady ones (an allowed plate, and an unknown one,
// whose hold looks for near misses among all listed plates), and the first one after central
// changed a list — plus the time to apply central's pushes and the memory of the index.
//
//   node --expose-gc scripts/bench-lists.mjs [--entries 200000] [--decisions 200] [--dir DIR]
//
// The store runs with synchronous NORMAL, so a decision's event append does not wait for the
// disk and the figures are the lists' cost (FULL adds one fsync per decision; see bench-store).
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

const root = new URL('../', import.meta.url);
if (!existsSync(new URL('dist/lane/deciding/decider.js', root))) {
  console.error('dist/ is missing: run npm run build first');
  process.exit(1);
}
const load = async (path) => import(new URL(path, root).href);
const { openStore } = await load('dist/store/store.js');
const { storeSchema } = await load('dist/config/store.js');
const { LaneDecider } = await load('dist/lane/deciding/decider.js');
const { EventBus } = await load('dist/core/bus.js');
const { systemClock } = await load('dist/core/clock.js');
const { silentLogger } = await load('dist/core/log.js');
const { laneDecisionsSchema } = await load('dist/config/decisions.js');
const { parsePlate } = await load('dist/plates/parse.js');

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '200000' },
    decisions: { type: 'string', default: '200' },
    dir: { type: 'string', default: tmpdir() },
  },
});
const ENTRIES = Number(values.entries);
const DECISIONS = Number(values.decisions);
if (!(Number.isInteger(ENTRIES) && ENTRIES >= 10) || !(Number.isInteger(DECISIONS) && DECISIONS >= 10)) {
  console.error('bench-lists: --entries and --decisions: whole numbers of at least 10');
  process.exit(2);
}

/** The i-th of ENTRIES distinct Vietnamese-looking plates: 29C00012. */
const plateOf = (i) =>
  `${10 + (i % 90)}${'ABCDEFGHKL'[Math.floor(i / 90) % 10]}${String(Math.floor(i / 900)).padStart(5, '0')}`;
const gc = () => globalThis.gc?.();
const heapMb = () => (gc(), process.memoryUsage().heapUsed / 1024 / 1024);
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const now = () => process.hrtime.bigint();

const dir = mkdtempSync(join(values.dir, 'smartgate-bench-lists-'));
const config = storeSchema.parse({ synchronous: 'NORMAL' });
// The cap (store.lists.maxEntries) is raised to what is benchmarked.
const store = openStore(
  { clock: systemClock, log: silentLogger },
  { dataDir: dir, siteId: 'bench', config: { ...config, lists: { maxEntries: ENTRIES + 10 } } },
);
const rows = [];
const row = (what, figure) => rows.push([what, figure]);
try {
  const entries = Array.from({ length: ENTRIES }, (_, i) => ({
    key: plateOf(i),
    reason: 'permit',
    validUntil: Date.now() + 86_400_000,
  }));
  let t0 = now();
  store.lists.applyFull('allow', 1, entries);
  row(`store a full allow list of ${ENTRIES.toLocaleString('en')} entries`, `${ms(t0).toFixed(0)} ms`);
  store.lists.applyFull('deny', 1, [{ key: '51F99999', reason: 'stolen' }]);
  store.lists.applyFull('watch', 1, [{ key: '30A11111', reason: 'customs' }]);

  const heapBefore = heapMb();
  const bus = new EventBus(silentLogger);
  t0 = now();
  const decider = new LaneDecider(
    { bus, log: silentLogger, clock: systemClock },
    { sink: store.events, lists: store.lists },
  );
  row('start-up: new LaneDecider() over the stored lists', `${ms(t0).toFixed(0)} ms`);
  const lane = { id: 'entry-1', direction: 'entry', rules: laneDecisionsSchema.parse({ nearMissDistance: 1 }) };
  const read = (text) => ({
    plate: parsePlate([text], { countries: ['VN', 'CN'] }),
    confidence: 0.95,
    votes: 3,
    reads: 3,
    box: { x: 0, y: 0, w: 10, h: 5 },
    frameAt: 0,
    firstSeenAt: 0,
    lastSeenAt: 0,
    trigger: 'agreed',
  });
  const decide = (text) => {
    const t = now();
    const { decision } = decider.decide(lane, read(text));
    return { ms: ms(t), decision };
  };
  const first = decide(plateOf(7));
  row('first decide()', `${first.ms.toFixed(1)} ms (${first.decision.action})`);
  row('heap held by the index', `${(heapMb() - heapBefore).toFixed(0)} MB`);

  const steady = (text) => {
    const times = [];
    let action;
    for (let i = 0; i < DECISIONS; i++) {
      const r = decide(text);
      times.push(r.ms);
      action = r.decision.action;
    }
    times.sort((a, b) => a - b);
    return `p50 ${times[Math.floor(times.length / 2)].toFixed(2)} ms, p99 ${times[Math.floor(times.length * 0.99)].toFixed(2)} ms (${action})`;
  };
  row(`decide() an allowed plate, ${DECISIONS} times`, steady(plateOf(11)));
  row(`decide() an unlisted plate (hold; near misses scanned), ${DECISIONS} times`, steady('29C99999'));

  t0 = now();
  const added = '88H88888';
  const result = store.lists.applyDelta('allow', 1, 2, [{ key: added, reason: 'fee' }], [plateOf(3)]);
  row(
    'apply a delta (+1, -1) to the big list',
    `${ms(t0).toFixed(1)} ms (${result.applied ? 'applied' : result.reason})`,
  );
  const after = decide(added);
  row(
    'first decide() after that delta',
    `${after.ms.toFixed(1)} ms (${after.decision.action}: ${after.decision.reason})`,
  );
  row(`decide() an allowed plate after the delta, ${DECISIONS} times`, steady(plateOf(11)));
  t0 = now();
  const summaries = store.lists.summaries();
  row(
    'ListStore.summaries() (entry counts)',
    `${ms(t0).toFixed(2)} ms (${summaries.map((s) => `${s.name} ${s.entries}`).join(', ')})`,
  );

  console.log(
    `smartgate bench-lists — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM`,
  );
  console.log('');
  console.log('| Case | Figure |');
  console.log('| --- | --- |');
  for (const [what, figure] of rows) console.log(`| ${what} | ${figure} |`);
} finally {
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
