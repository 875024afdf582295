import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { mqttSchema } from '../../src/config/mqtt.js';
import { storeSchema } from '../../src/config/store.js';
import { openStore, type Store } from '../../src/store/store.js';
import { wireEventSchema } from '../../src/uplink/contract.js';
import { Uplink } from '../../src/uplink/uplink.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/processes.js';

// An outage of hours at a busy gate: 100,000 events recorded while central's broker is down,
// then drained when it comes back. All must arrive. (The drain rate is a benchmark figure:
// scripts/bench-uplink.mjs, docs/benchmarks.md.)

const EVENTS = 100_000;
const SITE = 'mlt-kth';
const LANES = ['entry-1', 'entry-2', 'exit-1', 'exit-2'];

let broker: Mosquitto | undefined;
let store: Store | undefined;
let uplink: Uplink | undefined;
let central: MqttClient | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  await uplink?.stop();
  await central?.endAsync(true);
  store?.close();
  await broker?.dispose();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a long outage', () => {
  it('buffers 100,000 events with the broker down and delivers every one, in order per lane, when it is back', async () => {
    broker = await startMosquitto();
    // Central's consumer has a persistent session, so the broker queues for it while it reconnects.
    central = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: 'central-backlog',
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
      reconnectPeriod: 200,
    });
    const lastSeq = new Map<string, number>();
    const seen = new Set<string>();
    let outOfOrder = 0;
    central.on('message', (_topic, payload) => {
      const event = wireEventSchema.parse(JSON.parse(payload.toString()));
      if (seen.has(event.eventId)) return; // at-least-once: a re-send after a reconnect
      seen.add(event.eventId);
      if (event.seq !== (lastSeq.get(event.laneId) ?? 0) + 1) outOfOrder++;
      lastSeq.set(event.laneId, event.seq);
    });
    await central.subscribeAsync(`smartgate/v1/${SITE}/+/events`, { qos: 1 });
    await broker.stop();

    dataDir = await mkdtemp(join(tmpdir(), 'smartgate-backlog-'));
    // NORMAL only to keep the test short: the outbox logic is the same under FULL.
    store = openStore(
      { clock: systemClock, log: silentLogger },
      { dataDir, siteId: SITE, config: storeSchema.parse({ synchronous: 'NORMAL' }) },
    );
    const config = mqttSchema.parse({ url: broker.url, backoff: { initialMs: 200, maxMs: 1000 } })!;
    uplink = new Uplink(
      { clock: systemClock, log: silentLogger },
      { siteId: SITE, bootId: store.bootId, outbox: store.events, config: { ...config, url: broker.url } },
    );
    await uplink.start();
    for (let i = 0; i < EVENTS; i++) {
      store.events.append({
        type: 'plate.read',
        laneId: LANES[i % LANES.length]!,
        payload: { text: `29C${String(i).padStart(5, '0')}` },
      });
    }
    expect(store.events.pendingCount()).toBe(EVENTS);
    expect(uplink.stats().connection.connects).toBe(0);

    await broker.restart();
    await waitFor(() => store!.events.pendingCount() === 0, 120_000, 'the outbox drained');
    await waitFor(() => seen.size === EVENTS, 60_000, `all ${EVENTS} events at central`);
    expect(outOfOrder).toBe(0);
    expect([...lastSeq.values()]).toEqual(LANES.map(() => EVENTS / LANES.length));
  }, 240_000);
});
