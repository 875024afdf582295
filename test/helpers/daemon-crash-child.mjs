#!/usr/bin/env node
// Child of test/integration/daemon-crash.test.ts: the daemon's recording and forwarding half
// (the built store and uplink, as src/daemon.ts wires them) appending plate reads in a loop,
// so the test can SIGKILL it while it publishes and start it again on the same data dir.
// Prints `boot BOOT_ID` once, then the running count after each append returns (committed),
// and `drained` once LIMIT events are appended and the outbox is empty. SIGTERM stops cleanly.
//
//   node daemon-crash-child.mjs DATA_DIR MQTT_URL SITE_ID LIMIT
const root = new URL('../../', import.meta.url);
const { openStore } = await import(new URL('dist/store/store.js', root).href);
const { storeSchema } = await import(new URL('dist/config/store.js', root).href);
const { mqttSchema } = await import(new URL('dist/config/mqtt.js', root).href);
const { Uplink } = await import(new URL('dist/uplink/uplink.js', root).href);
const { systemClock } = await import(new URL('dist/core/clock.js', root).href);
const { createLogger, silentLogger } = await import(new URL('dist/core/log.js', root).href);

const [dataDir, url, siteId, limitArg] = process.argv.slice(2);
const LIMIT = Number(limitArg);
const LANES = ['entry-1', 'exit-1'];

// NORMAL: a killed process loses nothing in WAL mode; only a power cut would (not this test).
const store = openStore(
  { clock: systemClock, log: silentLogger },
  { dataDir, siteId, config: storeSchema.parse({ synchronous: 'NORMAL' }) },
);
const config = mqttSchema.parse({ url, backoff: { initialMs: 100, maxMs: 500 } });
const uplink = new Uplink(
  { clock: systemClock, log: createLogger('warn') },
  { siteId, bootId: store.bootId, outbox: store.events, config },
);
process.stdout.write(`boot ${store.bootId}\n`);

process.once('SIGTERM', () => {
  clearInterval(appender);
  uplink.stop().then(
    () => {
      store.close();
      process.exit(0);
    },
    (err) => {
      process.stderr.write(`${err?.stack ?? err}\n`);
      process.exit(1);
    },
  );
});

await uplink.start();
let count = 0;
// A steady stream (about 500 events/s) rather than one burst, so a kill lands mid-publishing.
const appender = setInterval(() => {
  for (let i = 0; i < 5 && count < LIMIT; i++) {
    store.events.append({ type: 'plate.read', laneId: LANES[count % LANES.length], payload: { n: count } });
    count++;
    process.stdout.write(`${count}\n`);
  }
  if (count >= LIMIT && store.events.pendingCount() === 0) {
    clearInterval(appender);
    process.stdout.write('drained\n');
  }
}, 10);
