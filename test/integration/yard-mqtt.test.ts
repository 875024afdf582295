import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { commandTopic, eventsFilter, yardStateFilter, yardStateTopic } from '../../src/domain/topics.js';
import { buildGate, type Gate } from '../../src/gate/build-gate.js';
import { parsePlate } from '../../src/plates/parse.js';
import type { VotedPlateRead } from '../../src/plates/voter.js';
import { openStore, type Store } from '../../src/store/store.js';
import { replySchema, type Reply } from '../../src/uplink/commands-contract.js';
import { parseWireEvent, yardStateSchema, type WireEvent } from '../../src/uplink/contract.js';
import type { YardState } from '../../src/yard/yard-state.js';
import type { PlateFinder, PlateReader } from '../../src/vision/types.js';
import { centralSigner } from '../helpers/central-signer.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/processes.js';

// The yard as central sees it, on a real Mosquitto and the gate as the daemon builds it: two
// lanes without barriers and a yard between them. A vehicle read at the entry lane passes
// (driver none: `passed-unconfirmed` after passTimeoutMs), enters the yard, and the retained
// yard state follows; central's signed yard.call and yard.correct act on it, unsigned ones do not.

// The cameras never deliver a frame (nothing listens on port 9): the engine is never used.
const UNUSED_ENGINE = {} as PlateFinder & PlateReader;
const PREFIX = 'smartgate/v1';
const SITE = 'mlt-kth';
const YARD = 'kth-yard';
const PLATE = '29C12345';
const REPLIES = `${PREFIX}/${SITE}/replies/yard-test`;
const OPERATOR = { operator: 'op-17', reason: 'customs asked for it' };

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

describe("a yard's state and commands over MQTT, with the gate as the daemon builds it", () => {
  it('publishes the retained yard state, follows a vehicle in, and runs signed yard.call and yard.correct only', async () => {
    broker = await startMosquitto();
    const central = centralSigner();
    dataDir = mkdtempSync(join(tmpdir(), 'smartgate-yard-mqtt-'));
    const camera = { url: 'rtsp://127.0.0.1:9/none' };
    const config = configSchema.parse({
      site: { id: SITE, name: 'Ma Lù Thàng' },
      dataDir,
      http: { enabled: false },
      mqtt: { url: broker.url, backoff: { initialMs: 200, maxMs: 1000 }, central: { keys: central.keys } },
      lanes: [
        { id: 'entry-1', direction: 'entry', camera, flow: { passTimeoutMs: 300 } },
        { id: 'exit-1', direction: 'exit', camera, flow: { passTimeoutMs: 300 } },
      ],
      yards: [{ id: YARD, name: 'Kim Thành yard', capacity: 2, entryLanes: ['entry-1'], exitLanes: ['exit-1'] }],
    });
    store = openStore({ clock: systemClock, log: silentLogger }, { dataDir, siteId: SITE, config: config.store });
    // Every list received (a stale one holds every vehicle), the plate on the allow list.
    store.lists.applyFull('allow', 1, [{ key: PLATE }]);
    store.lists.applyFull('deny', 1, []);
    store.lists.applyFull('watch', 1, []);
    gate = await buildGate(config, { clock: systemClock, log: silentLogger, store, engine: UNUSED_ENGINE });
    let subscribed = false;
    gate.uplink!.connection.onSubscribed(() => (subscribed = true));
    await gate.start();
    await waitFor(() => subscribed, 10_000, 'gate subscribed');

    // Central: the yards' state, the gate's events, and the replies to its commands.
    const client = await connect('central-yard-test');
    const states: { state: YardState; retained: boolean }[] = [];
    const events: WireEvent[] = [];
    const replies = new Map<string, Reply>();
    client.on('message', (topic, payload, packet) => {
      if (topic === yardStateTopic(PREFIX, SITE, YARD))
        states.push({
          state: yardStateSchema.parse(JSON.parse(payload.toString())),
          retained: packet.retain,
        });
      else if (topic === REPLIES) {
        const correlation = packet.properties?.correlationData;
        if (Buffer.isBuffer(correlation))
          replies.set(correlation.toString(), replySchema.parse(JSON.parse(payload.toString())));
      } else {
        const parsed = parseWireEvent(payload);
        if ('event' in parsed) events.push(parsed.event);
      }
    });
    await client.subscribeAsync([yardStateFilter(PREFIX), eventsFilter(PREFIX, SITE), REPLIES], { qos: 1 });
    const latest = () => states.at(-1)?.state;

    // Retained and there at once for a newcomer: the empty yard.
    await waitFor(() => states.some((s) => s.retained), 10_000, 'the retained yard state');
    expect(states[0]).toMatchObject({
      retained: true,
      state: { yardId: YARD, name: 'Kim Thành yard', capacity: 2, occupancy: 0, vehicles: [], holds: [] },
    });

    // A vehicle on the allow list is read at the entry lane, let through, and is inside.
    gate.bus.emit('plate.read', { laneId: 'entry-1', read: voted(PLATE) });
    await waitFor(() => latest()?.occupancy === 1, 10_000, 'the vehicle inside the yard state').catch((err: Error) => {
      const recorded = store!.events.query({}).events.map((e) => [e.laneId, e.type, e.payload]);
      throw new Error(`${err.message}; the gate recorded ${JSON.stringify(recorded)}`);
    });
    expect(latest()!.vehicles).toEqual([
      expect.objectContaining({ plate: PLATE, entryLaneId: 'entry-1', dwellMs: expect.any(Number), called: false }),
    ]);
    await waitFor(() => events.some((e) => e.type === 'yard.entered'), 10_000, 'the yard.entered event');
    expect(events.find((e) => e.type === 'yard.entered')).toMatchObject({
      laneId: 'entry-1',
      payload: { yardId: YARD, plate: PLATE, occupancy: 1, how: 'lane' },
    });
    // The broker keeps the new state for the next newcomer.
    const newcomer = await connect('central-yard-newcomer');
    const retained: YardState[] = [];
    newcomer.on('message', (_topic, payload, packet) => {
      if (packet.retain) retained.push(JSON.parse(payload.toString()) as YardState);
    });
    await newcomer.subscribeAsync(yardStateTopic(PREFIX, SITE, YARD), { qos: 1 });
    await waitFor(() => retained.length === 1, 10_000, 'the retained state for a newcomer');
    expect(retained[0]).toMatchObject({ occupancy: 1, vehicles: [{ plate: PLATE }] });

    const send = async (name: string, args: Record<string, unknown>, signed = true): Promise<Reply> => {
      const topic = commandTopic(PREFIX, SITE, name);
      const payload = JSON.stringify({ id: randomUUID(), ts: Date.now(), args });
      const correlation = randomUUID();
      await client.publishAsync(topic, payload, {
        qos: 1,
        properties: {
          responseTopic: REPLIES,
          correlationData: Buffer.from(correlation),
          ...(signed && { userProperties: central.sign(topic, payload) }),
        },
      });
      await waitFor(() => replies.has(correlation), 10_000, `the reply to ${name}`);
      return replies.get(correlation)!;
    };

    // Unsigned, the changes are refused and nothing changes.
    const call = { yardId: YARD, plate: PLATE, ...OPERATOR };
    const mark = { yardId: YARD, action: 'mark-left', plate: PLATE, ...OPERATOR };
    expect(await send('yard.call', call, false)).toMatchObject({ status: 'error', error: { code: 'unsigned' } });
    expect(await send('yard.correct', mark, false)).toMatchObject({ status: 'error', error: { code: 'unsigned' } });
    expect(gate.yards!.state(YARD)).toMatchObject({ occupancy: 1, calls: [] });

    // Signed: the call shows in the yard state, and the correction empties the yard.
    expect(await send('yard.call', call)).toMatchObject({ status: 'ok', data: { eventId: expect.any(String) } });
    await waitFor(() => latest()?.calls.length === 1, 10_000, 'the call in the yard state');
    expect(latest()).toMatchObject({ calls: [{ plate: PLATE, calledBy: 'op-17' }], vehicles: [{ called: true }] });
    expect(await send('yard.correct', mark)).toMatchObject({ status: 'ok' });
    await waitFor(() => latest()?.occupancy === 0, 10_000, 'the yard empty again');
    expect(latest()).toMatchObject({ vehicles: [], calls: [] });
    await waitFor(
      () => events.some((e) => e.type === 'yard.left') && events.some((e) => e.type === 'operator.action'),
      10_000,
      'the correction and the yard.left it caused',
    );
    expect(events.find((e) => e.type === 'operator.action')).toMatchObject({
      laneId: 'gate',
      payload: { action: 'yard.mark-left', yardId: YARD, plate: PLATE, source: 'central', operator: 'op-17' },
    });
    expect(events.find((e) => e.type === 'yard.left')).toMatchObject({
      laneId: 'gate',
      payload: { plate: PLATE, how: 'correction' },
    });
  }, 60_000);
});
