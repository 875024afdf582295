import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { eventsFilter, postcheckSummaryTopic } from '../../src/domain/topics.js';
import { buildGate, type Gate } from '../../src/gate/build-gate.js';
import { parsePlate } from '../../src/plates/parse.js';
import type { VotedPlateRead } from '../../src/plates/voter.js';
import { localDay } from '../../src/postcheck/site-day.js';
import { openStore, type Store } from '../../src/store/store.js';
import {
  parseWireEvent,
  postcheckSummarySchema,
  type PostcheckSummaryMessage,
  type WireEvent,
} from '../../src/uplink/contract.js';
import { eventPayloadSchemas } from '../../src/web/api-contract.js';
import type { PlateFinder, PlateReader } from '../../src/vision/types.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { declaration } from '../helpers/postcheck-gate.js';
import { waitFor } from '../helpers/processes.js';

// The post-check as central sees it, on a real Mosquitto and the gate as the daemon builds it: a
// lane without a barrier deciding on fee declarations (post-check). The retained summary is there
// for a newcomer at once, and changes with the passages: a vehicle without a declaration passes
// (driver none: `passed-unconfirmed` after passTimeoutMs) and is flagged, its `postcheck.flagged`
// event goes out on the lane's events topic, then a declared one passes.

// The camera never delivers a frame (nothing listens on port 9): the engine is never used.
const UNUSED_ENGINE = {} as PlateFinder & PlateReader;
const PREFIX = 'smartgate/v1';
const SITE = 'mlt-kth';
const TOPIC = postcheckSummaryTopic(PREFIX, SITE);

let broker: Mosquitto | undefined;
let store: Store | undefined;
let gate: Gate | undefined;
let dataDir: string | undefined;
const clients: MqttClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true);
  await gate?.stop();
  store?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  await broker?.dispose();
});

function voted(text: string): VotedPlateRead {
  const now = Date.now();
  return {
    plate: parsePlate([text], { countries: ['VN'] }),
    confidence: 0.93,
    votes: 3,
    reads: 4,
    box: { x: 4, y: 8, w: 120, h: 40 },
    frameAt: now,
    firstSeenAt: now,
    lastSeenAt: now,
    trigger: 'agreed',
    crop: Buffer.from([0xff, 0xd8, 0xff, 0xd9]),
  };
}

async function connect(clientId: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(broker!.url, { protocolVersion: 5, clientId, reconnectPeriod: 0 });
  clients.push(client);
  return client;
}

describe('the post-check summary over MQTT, with the gate as the daemon builds it', () => {
  it('is retained for a newcomer and follows the passages; a flagged one also goes out as its event', async () => {
    broker = await startMosquitto();
    dataDir = mkdtempSync(join(tmpdir(), 'smartgate-postcheck-mqtt-'));
    const config = configSchema.parse({
      site: { id: SITE, name: 'Ma Lù Thàng' },
      dataDir,
      http: { enabled: false },
      mqtt: { url: broker.url, backoff: { initialMs: 200, maxMs: 1000 } },
      lanes: [
        {
          id: 'entry-1',
          direction: 'entry',
          camera: { url: 'rtsp://127.0.0.1:9/none' },
          flow: { passTimeoutMs: 300 },
          decisions: { declarations: 'post-check' },
        },
      ],
    });
    store = openStore({ clock: systemClock, log: silentLogger }, { dataDir, siteId: SITE, config: config.store });
    // Every list received (a stale one holds every vehicle); one vehicle has a declaration.
    store.lists.applyFull('allow', 1, []);
    store.lists.applyFull('deny', 1, []);
    store.lists.applyFull('watch', 1, []);
    store.lists.applyFull('declarations', 1, [declaration('D-1', '29A11111', Date.now())]);
    gate = await buildGate(config, { clock: systemClock, log: silentLogger, store, engine: UNUSED_ENGINE });
    await gate.start();
    // The gate has published before the newcomer subscribes (on a busy machine the gate may
    // connect later than the test's client, and a live message is not the retained one).
    await waitFor(() => (gate?.uplink?.postcheckSummary?.stats().published ?? 0) >= 1, 15_000, 'the first summary');

    const client = await connect('central-postcheck-test');
    const summaries: { summary: PostcheckSummaryMessage; retained: boolean }[] = [];
    const events: WireEvent[] = [];
    client.on('message', (topic, payload, packet) => {
      if (topic === TOPIC)
        summaries.push({
          summary: postcheckSummarySchema.parse(JSON.parse(payload.toString())),
          retained: packet.retain,
        });
      else {
        const parsed = parseWireEvent(payload);
        if ('event' in parsed) events.push(parsed.event);
      }
    });
    await client.subscribeAsync([TOPIC, eventsFilter(PREFIX, SITE)], { qos: 1 });
    const latest = () => summaries.at(-1)?.summary;

    // Retained and there at once: today at the gate, nothing passed yet.
    await waitFor(() => summaries.some((s) => s.retained), 15_000, 'the retained summary');
    expect(summaries[0]!.summary).toMatchObject({
      day: localDay(Date.now(), 'Asia/Ho_Chi_Minh'),
      timeZone: 'Asia/Ho_Chi_Minh',
      totals: { passages: 0, flagged: 0 },
      flagged: [],
    });

    // A vehicle without a declaration passes, flagged.
    gate.bus.emit('plate.read', { laneId: 'entry-1', read: voted('51F99999') });
    await waitFor(() => latest()?.totals.flagged === 1, 20_000, 'the flagged passage in the summary').catch(
      (err: Error) => {
        const recorded = store!.events.query({}).events.map((e) => [e.type, e.payload]);
        throw new Error(`${err.message}; the gate recorded ${JSON.stringify(recorded)}`);
      },
    );
    expect(latest()).toMatchObject({ totals: { passages: 1, declared: 0, undeclared: 1 } });
    const [flagged] = latest()!.flagged;
    expect(flagged).toMatchObject({ laneId: 'entry-1', plate: '51F99999', declarationId: null, flags: ['undeclared'] });
    await waitFor(() => events.some((e) => e.type === 'postcheck.flagged'), 10_000, 'the postcheck.flagged event');
    const event = events.find((e) => e.type === 'postcheck.flagged')!;
    expect(event).toMatchObject({ eventId: flagged!.flagEventId, laneId: 'entry-1', siteId: SITE });
    expect(eventPayloadSchemas['postcheck.flagged'].parse(event.payload)).toMatchObject({
      passageId: flagged!.passageId,
      plate: '51F99999',
      status: 'undeclared',
      flags: [{ kind: 'undeclared', detail: expect.stringContaining('51F99999') }],
    });

    // A newcomer gets the new summary from the broker.
    const newcomer = await connect('central-postcheck-newcomer');
    const retained: PostcheckSummaryMessage[] = [];
    newcomer.on('message', (_topic, payload, packet) => {
      if (packet.retain) retained.push(JSON.parse(payload.toString()) as PostcheckSummaryMessage);
    });
    await newcomer.subscribeAsync(TOPIC, { qos: 1 });
    await waitFor(() => retained.length === 1, 10_000, 'the retained summary for a newcomer');
    expect(retained[0]).toMatchObject({ totals: { flagged: 1 }, flagged: [{ plate: '51F99999' }] });

    // A declared vehicle passes: the summary counts it, nothing more is flagged.
    gate.bus.emit('plate.read', { laneId: 'entry-1', read: voted('29A11111') });
    await waitFor(() => latest()?.totals.passages === 2, 20_000, 'the declared passage in the summary');
    expect(latest()).toMatchObject({ totals: { passages: 2, declared: 1, undeclared: 1, flagged: 1 } });
  }, 90_000);
});
