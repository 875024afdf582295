#!/usr/bin/env node
// Uplink drain rate, from the built code (npm run build first): EVENTS events are recorded in
// the real event store while the broker is down, then the broker comes back and the uplink
// drains the outbox. A `smartgate tail` process (central's reference consumer, persistent
// session) counts what arrives; every event must arrive. Spawns its own Mosquitto on loopback.
//
//   node scripts/bench-uplink.mjs [--events 100000] [--max-in-flight 64] [--broker-in-flight 20]
//
// --broker-in-flight is mosquitto's max_inflight_messages, sent to clients as Receive Maximum:
// the uplink keeps min(maxInFlight, Receive Maximum) unacknowledged.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { cpus, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('../', import.meta.url);
const CLI = new URL('dist/cli/main.js', root).pathname;
if (!existsSync(new URL('dist/uplink/uplink.js', root)) || !existsSync(new URL('dist/store/store.js', root))) {
  console.error('dist/ is missing the uplink or the store: run npm run build first');
  process.exit(1);
}
const load = async (path) => import(new URL(path, root).href);
const { openStore } = await load('dist/store/store.js');
const { Uplink } = await load('dist/uplink/uplink.js');
const { mqttSchema } = await load('dist/config/mqtt.js');
const { systemClock } = await load('dist/core/clock.js');
const { silentLogger } = await load('dist/core/log.js');
const { mosquittoConf } = await load('dist/demo/mosquitto-conf.js');

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    'max-in-flight': { type: 'string', default: '64' },
    'broker-in-flight': { type: 'string', default: '20' },
  },
});
const EVENTS = Number(values.events);
const LANES = ['entry-1', 'entry-2', 'exit-1', 'exit-2'];
const SITE = 'bench';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const accepts = (port) =>
  new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

async function waitUntil(condition, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** A private mosquitto with persistence, configured like the demo's and the tests'. */
function broker(dir, port) {
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    mosquittoConf({
      port,
      dir,
      user: userInfo().username,
      extra: [`max_inflight_messages ${values['broker-in-flight']}`],
    }),
  );
  let child = null;
  return {
    async start() {
      // stderr kept for a failure only: run as root with `user root` it warns on every start.
      let stderr = '';
      child = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr.on('data', (chunk) => (stderr = (stderr + chunk.toString()).slice(-4000)));
      await waitUntil(() => accepts(port), 10_000, 'mosquitto listening').catch((err) => {
        throw new Error(`${err.message}: ${stderr}`);
      });
    },
    async stop() {
      const proc = child;
      if (!proc || proc.exitCode !== null) return;
      const gone = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      await gone;
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'smartgate-bench-uplink-'));
const port = await freePort();
const url = `mqtt://127.0.0.1:${port}`;
const mosquitto = broker(dir, port);
let tail = null;
let store = null;
let uplink = null;
try {
  await mosquitto.start();

  // Central's consumer: its session (and subscription) must exist before the gate publishes.
  tail = spawn(process.execPath, [CLI, 'tail', '--mqtt-url', url, '--site', SITE], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ids = new Set();
  let rest = '';
  let lastArrival = 0;
  tail.stdout.on('data', (chunk) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop();
    for (const line of lines) ids.add(JSON.parse(line).eventId);
    lastArrival = performance.now();
  });
  let tailNotices = '';
  tail.stderr.on('data', (chunk) => (tailNotices += chunk.toString()));
  await waitUntil(() => tailNotices.includes('"subscribed"'), 10_000, 'tail subscribed');

  await mosquitto.stop();
  store = openStore(
    { clock: systemClock, log: silentLogger },
    {
      dataDir: join(dir, 'data'),
      siteId: SITE,
      config: { synchronous: 'NORMAL', retentionDays: 90, quotaMb: 1024 * 1024, retentionIntervalMs: 3_600_000 },
    },
  );
  const config = mqttSchema.parse({
    url,
    maxInFlight: Number(values['max-in-flight']),
    backoff: { initialMs: 100, maxMs: 200 },
  });
  uplink = new Uplink(
    { clock: systemClock, log: silentLogger },
    { siteId: SITE, bootId: store.bootId, outbox: store.events, config },
  );
  await uplink.start();

  const appendStart = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    store.events.append({
      type: 'plate.read',
      laneId: LANES[i % LANES.length],
      payload: {
        plate: { text: '29C12345', display: '29C-123.45', country: 'VN', kind: 'private' },
        confidence: 0.93,
        votes: 5,
        i,
      },
    });
  }
  const appendSeconds = (performance.now() - appendStart) / 1000;

  const drainStart = performance.now();
  await mosquitto.start();
  await waitUntil(() => store.events.pendingCount() === 0, 600_000, 'outbox drained');
  const drainSeconds = (performance.now() - drainStart) / 1000;
  await waitUntil(() => ids.size >= EVENTS, 600_000, 'all events at the consumer');
  const arrivedSeconds = (lastArrival - drainStart) / 1000;
  const stats = uplink.stats();

  const rows = [
    ['events buffered while the broker was down', EVENTS.toLocaleString('en')],
    [
      'recording rate (store, synchronous NORMAL)',
      `${Math.round(EVENTS / appendSeconds).toLocaleString('en')} events/s`,
    ],
    [
      'in flight (min of maxInFlight, broker Receive Maximum)',
      `${Math.min(Number(values['max-in-flight']), Number(values['broker-in-flight']))}`,
    ],
    ['drain time (broker back → outbox empty)', `${drainSeconds.toFixed(1)} s`],
    ['drain rate (acknowledged by the broker)', `${Math.round(EVENTS / drainSeconds).toLocaleString('en')} events/s`],
    [
      'all at the consumer (`smartgate tail`) after',
      `${arrivedSeconds.toFixed(1)} s (${Math.round(EVENTS / arrivedSeconds).toLocaleString('en')} events/s)`,
    ],
    ['distinct events at the consumer', ids.size.toLocaleString('en')],
    [
      'publishes (re-sends included) / acknowledged',
      `${stats.published.toLocaleString('en')} / ${stats.acked.toLocaleString('en')}`,
    ],
  ];
  console.log(
    `uplink drain, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, mosquitto on loopback\n`,
  );
  console.log('| | |\n| --- | --- |');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  if (ids.size !== EVENTS) {
    console.error(`LOST: ${EVENTS - ids.size} events never reached the consumer`);
    process.exitCode = 1;
  }
} finally {
  await uplink?.stop();
  store?.close();
  if (tail && tail.exitCode === null) {
    const gone = new Promise((resolve) => tail.once('exit', resolve));
    tail.kill('SIGTERM');
    await gone;
  }
  await mosquitto.stop();
  rmSync(dir, { recursive: true, force: true });
}
