import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { buildGate } from '../../src/gate/build-gate.js';
import { openStore, type Store } from '../../src/store/store.js';
import { replySchema } from '../../src/uplink/commands-contract.js';
import { healthSchema, laneStateSchema } from '../../src/uplink/contract.js';
import { commandTopic } from '../../src/domain/topics.js';
import type { PlateFinder, PlateReader } from '../../src/vision/types.js';
import { centralSigner } from '../helpers/central-signer.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/processes.js';

// Only the uplink is started: the lanes (and so the engine) are never used here.
const UNUSED_ENGINE = {} as PlateFinder & PlateReader;

let broker: Mosquitto | undefined;
let store: Store | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  store?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  await broker?.dispose();
});

describe("the daemon wires central's commands into its uplink", () => {
  it('answers a command naming one of its configured lanes, records it on that lane, and publishes retained health and lane state', async () => {
    broker = await startMosquitto();
    const central = centralSigner();
    const replies = 'smartgate/v1/mlt-kth/replies/r';
    dataDir = mkdtempSync(join(tmpdir(), 'smartgate-daemon-commands-'));
    const config = configSchema.parse({
      site: { id: 'mlt-kth', name: 'Ma Lù Thàng' },
      dataDir,
      mqtt: { url: broker.url, central: { keys: central.keys } },
      lanes: [{ id: 'exit-2', direction: 'exit', camera: { url: 'rtsp://127.0.0.1:9/none' } }],
    });
    store = openStore(
      { clock: systemClock, log: silentLogger },
      { dataDir, siteId: config.site.id, config: config.store },
    );
    const daemon = await buildGate(config, { clock: systemClock, log: silentLogger, store, engine: UNUSED_ENGINE });
    const uplink = daemon.uplink!;
    let subscribed = false;
    uplink.connection.onSubscribed(() => (subscribed = true));
    await uplink.start();
    try {
      await waitFor(() => subscribed, 10_000, 'gate subscribed');
      const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
      const got: unknown[] = [];
      client.on('message', (topic, payload) => {
        if (topic === replies) got.push(replySchema.parse(JSON.parse(payload.toString())));
      });
      await client.subscribeAsync(replies, { qos: 1 });
      const topic = commandTopic('smartgate/v1', 'mlt-kth', 'outbox.status');
      const payload = JSON.stringify({ id: 'o-1', ts: Date.now(), laneId: 'exit-2' });
      await client.publishAsync(topic, payload, {
        qos: 1,
        properties: {
          responseTopic: replies,
          correlationData: Buffer.from('1'),
          userProperties: central.sign(topic, payload),
        },
      });
      await waitFor(() => got.length === 1, 10_000, 'reply');
      expect(got[0]).toMatchObject({ status: 'ok', id: 'o-1', data: { pending: expect.any(Number) } });
      // The retained snapshots a newcomer gets at once: the gate's health and each lane's state.
      const retained = new Map<string, unknown>();
      client.on('message', (topic, payload, packet) => {
        if (packet.retain) retained.set(topic, JSON.parse(payload.toString()));
      });
      await client.subscribeAsync(['smartgate/v1/mlt-kth/health', 'smartgate/v1/mlt-kth/+/state'], { qos: 0 });
      await waitFor(() => retained.size === 2, 10_000, 'retained health and lane state');
      expect(healthSchema.parse(retained.get('smartgate/v1/mlt-kth/health'))).toMatchObject({
        lanes: ['exit-2'],
        bootId: store.bootId,
        store: { quotaBytes: 10240 * 2 ** 20, quotaExceeded: false },
      });
      expect(laneStateSchema.parse(retained.get('smartgate/v1/mlt-kth/exit-2/state'))).toMatchObject({
        laneId: 'exit-2',
        camera: { state: 'stopped' },
      });
      await client.endAsync();
      const recorded = store.db
        .prepare("SELECT lane_id AS laneId, json_extract(payload, '$.name') AS name FROM events WHERE type = 'command'")
        .all();
      expect(recorded).toEqual([{ laneId: 'exit-2', name: 'outbox.status' }]);
    } finally {
      await uplink.stop();
    }
  });
});
