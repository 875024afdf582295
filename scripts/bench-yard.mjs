#!/usr/bin/env node
// What a passage costs the yard with many vehicles inside, from the built code (npm run build
// first): a store and a YardService with INSIDE vehicles in the yard, then PASSAGES vehicles
// entering and as many leaving, each through the yard's real path (its decision's place
// promised, the lane's `vehicle` event heard, `yard.entered` / `yard.left` recorded with the
// yard_visits row in one transaction), timed around the yard's handling alone; and an exit read
// one look-alike character away, and the yard's state (what central and the page get).
//
//   node --expose-gc scripts/bench-yard.mjs [--inside 10000] [--passages 500] [--dir DIR]
//
// The store runs with synchronous NORMAL so the figures are the yard's, not the disk's fsync
// (FULL adds one per transaction; see bench-store).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('../', import.meta.url);
if (!existsSync(new URL('dist/yard/yard-service.js', root))) {
  console.error('dist/ is missing: run npm run build first');
  process.exit(1);
}
const load = async (path) => import(new URL(path, root).href);
const { openStore } = await load('dist/store/store.js');
const { storeSchema } = await load('dist/config/store.js');
const { yardSchema } = await load('dist/config/yards.js');
const { YardService } = await load('dist/yard/yard-service.js');
const { EventBus } = await load('dist/core/bus.js');
const { systemClock } = await load('dist/core/clock.js');
const { silentLogger } = await load('dist/core/log.js');

const { values } = parseArgs({
  options: {
    inside: { type: 'string', default: '10000' },
    passages: { type: 'string', default: '500' },
    dir: { type: 'string', default: tmpdir() },
  },
});
const INSIDE = Number(values.inside);
const PASSAGES = Number(values.passages);
if (!(Number.isInteger(INSIDE) && INSIDE >= 1) || !(Number.isInteger(PASSAGES) && PASSAGES >= 10)) {
  console.error('bench-yard: --inside: a whole number of at least 1; --passages: at least 10');
  process.exit(2);
}

/** The i-th distinct Vietnamese-looking truck plate: 15C00012. */
const plateOf = (i) => `${10 + (i % 90)}C${String(Math.floor(i / 90)).padStart(5, '0')}`;
const gc = () => globalThis.gc?.();
const now = () => process.hrtime.bigint();
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];

const dir = mkdtempSync(join(values.dir, 'smartgate-bench-yard-'));
const store = openStore(
  { clock: systemClock, log: silentLogger },
  { dataDir: dir, siteId: 'bench', config: storeSchema.parse({ synchronous: 'NORMAL' }) },
);
const bus = new EventBus(silentLogger);
const yardConfig = yardSchema.parse({
  id: 'bench-yard',
  capacity: INSIDE + PASSAGES + 10,
  classes: [{ id: 'truck', capacity: INSIDE + PASSAGES + 10, plateKinds: ['commercial'] }],
  entryLanes: ['in-1'],
  exitLanes: ['out-1'],
});
const lanes = ['in-1', 'out-1'].map((laneId) => ({
  laneId,
  snapshot: () => ({ phase: 'idle', holds: [] }),
  releaseHold: () => false,
}));

// Fill the yard through the store, as a restart finds it, then start the service on it.
const t0 = now();
store.events.transaction(() => {
  for (let i = 0; i < INSIDE; i++) {
    const plate = plateOf(i);
    store.yards.addVisit({
      visitId: `V${String(i).padStart(25, '0')}`,
      yardId: 'bench-yard',
      plate,
      display: plate,
      pairedPlate: null,
      vehicleClass: 'truck',
      enteredAt: Date.now() - (INSIDE - i) * 1000,
      entryLaneId: 'in-1',
      decisionId: null,
    });
  }
});
const fillMs = ms(t0);
const yard = new YardService(
  { bus, log: silentLogger, clock: systemClock },
  { sink: store.events, records: store.yards, lanes: () => lanes },
  [yardConfig],
);
const t1 = now();
await yard.start();
const restoreMs = ms(t1);

/** One passage at a lane: its `vehicle` event recorded, then heard by the yard (timed). */
function passage(laneId, plate) {
  const event = store.events.append({
    type: 'vehicle',
    laneId,
    payload: { outcome: 'passed', plate, decisionId: null, holdId: null, durationMs: 1000 },
  });
  const t = now();
  bus.emit('lane.recorded', { laneId, event });
  return ms(t);
}

const entering = [];
const leaving = [];
gc();
for (let i = 0; i < PASSAGES; i++) entering.push(passage('in-1', plateOf(INSIDE + i)));
for (let i = 0; i < PASSAGES; i++) leaving.push(passage('out-1', plateOf(i)));
// Read one look-alike away: 8 for B is not in these plates, so use O for 0 in the last digit.
const lookAlike = [];
for (let i = PASSAGES; i < PASSAGES + 50; i++) lookAlike.push(passage('out-1', plateOf(i).replace(/0$/, 'O')));
const states = [];
for (let i = 0; i < 5; i++) {
  const t = now();
  const json = JSON.stringify(yard.state('bench-yard'));
  states.push({ ms: ms(t), bytes: json.length });
}
const occupancy = yard.state('bench-yard').occupancy;
await yard.stop();
store.close();
rmSync(dir, { recursive: true, force: true });

const f = (x) => x.toFixed(3);
console.log(
  `# bench-yard, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}\n`,
);
console.log(
  `${INSIDE} vehicles inside (filled in ${fillMs.toFixed(0)} ms; service restored them in ${restoreMs.toFixed(0)} ms)\n`,
);
console.log('| step | n | median ms | p95 ms |');
console.log('|---|---|---|---|');
console.log(
  `| entry passage (yard.entered + yard_visits row) | ${entering.length} | ${f(median(entering))} | ${f(p95(entering))} |`,
);
console.log(
  `| exit passage, exact plate (yard.left, row deleted) | ${leaving.length} | ${f(median(leaving))} | ${f(p95(leaving))} |`,
);
console.log(
  `| exit passage, one look-alike away | ${lookAlike.length} | ${f(median(lookAlike))} | ${f(p95(lookAlike))} |`,
);
console.log(
  `| yard state (JSON for central and the page) | ${states.length} | ${f(median(states.map((s) => s.ms)))} | ${(states[0].bytes / 1024).toFixed(0)} KB |`,
);
console.log(`\noccupancy at the end: ${occupancy}`);
