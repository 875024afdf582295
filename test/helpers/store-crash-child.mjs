#!/usr/bin/env node
// Child of test/integration/store-crash.test.ts: appends events to the built store as fast as
// it can and prints the running count after each append returns (stdout to a pipe is
// synchronous on Linux, so a printed count is committed). The test SIGKILLs it mid-way.
//
//   node store-crash-child.mjs DATA_DIR FULL|NORMAL
import { randomBytes } from 'node:crypto';

const root = new URL('../../', import.meta.url);
const { openStore } = await import(new URL('dist/store/store.js', root).href);
const { systemClock } = await import(new URL('dist/core/clock.js', root).href);
const { silentLogger } = await import(new URL('dist/core/log.js', root).href);

const [dataDir, synchronous] = process.argv.slice(2);
const config = { synchronous, retentionDays: 90, quotaMb: 10240, retentionIntervalMs: 3_600_000 };
const store = openStore({ clock: systemClock, log: silentLogger }, { dataDir, siteId: 'crash-test', config });

const LANES = ['entry-1', 'exit-1', 'entry-2'];
const LIMIT = 100_000; // in case nobody kills us
let count = 0;

// Ends when the test goes away without killing us (stdin closes).
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();

function chunk() {
  for (let i = 0; i < 20 && count < LIMIT; i++) {
    const crop = count % 3 === 0 ? randomBytes(1000 + (count % 7) * 1000) : undefined;
    store.events.append({ type: 'plate.read', laneId: LANES[count % LANES.length], payload: { n: count }, crop });
    count++;
    process.stdout.write(`${count}\n`);
    // Acknowledge the older half of the outbox now and then, as the uplink would.
    if (count % 50 === 0) store.events.markDelivered(store.events.pending(25).map((e) => e.outboxId));
  }
  if (count < LIMIT) setImmediate(chunk);
  else process.exit(0);
}
chunk();
