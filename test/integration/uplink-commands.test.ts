import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mqttSchema } from '../../src/config/mqtt.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { openStore, type Store } from '../../src/store/store.js';
import { centralHandlers } from '../../src/uplink/central-handlers.js';
import {
  COMMAND_MAX_BYTES,
  LIST_MAX_BYTES,
  replySchema,
  type RefusalCode,
  type Reply,
} from '../../src/uplink/commands-contract.js';
import { parseWireEvent } from '../../src/uplink/contract.js';
import { commandTopic, eventsTopic, listTopic } from '../../src/domain/topics.js';
import { INBOUND_MAX_PACKET_BYTES, Uplink } from '../../src/uplink/uplink.js';
import { centralSigner } from '../helpers/central-signer.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/processes.js';
import { STORE_DEFAULTS } from '../helpers/store-fixtures.js';

const SITE = 'mlt-kth';
const PREFIX = 'smartgate/v1';
/** Under the gate's default reply prefix; the gate's default reply topics are its siblings. */
const REPLY_PREFIX = `${PREFIX}/${SITE}/replies`;
const REPLIES = `${REPLY_PREFIX}/central-test`;
/** The events of the gate itself (commands and lists are recorded on the lane `gate`). */
const GATE_EVENTS = eventsTopic(PREFIX, SITE, 'gate');
const central = centralSigner();

let broker: Mosquitto;
let dataDir: string;
let store: Store;
let uplink: Uplink;
/** Central's MQTT client. */
let client: MqttClient;
/** Replies on REPLIES by correlation data, and replies on the default `{replyPrefix}/commands|lists/NAME` topics. */
let replies: Map<string, Reply>;
let defaultReplies: { topic: string; reply: Reply }[];
/** What arrived on the gate's own events topic, as published. */
let onGateEvents: string[];

beforeEach(async () => {
  broker = await startMosquitto();
  dataDir = mkdtempSync(join(tmpdir(), 'smartgate-commands-'));
  const ctx = { clock: systemClock, log: silentLogger };
  store = openStore(ctx, { dataDir, siteId: SITE, config: STORE_DEFAULTS });
  const config = mqttSchema.parse({
    url: broker.url,
    backoff: { initialMs: 200, maxMs: 1000 },
    central: { keys: central.keys },
  })!;
  uplink = new Uplink(ctx, {
    siteId: SITE,
    bootId: store.bootId,
    outbox: store.events,
    config: { ...config, url: broker.url },
    inbound: centralHandlers({
      clock: systemClock,
      bootId: store.bootId,
      laneIds: ['entry-1'],
      config: config.commands,
      store,
    }),
  });
  let subscribed = false;
  uplink.connection.onSubscribed(() => (subscribed = true));
  await uplink.start();
  await waitFor(() => subscribed, 10_000, 'gate subscribed');

  replies = new Map();
  defaultReplies = [];
  onGateEvents = [];
  client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'central-test', reconnectPeriod: 0 });
  client.on('message', (topic, payload, packet) => {
    if (topic === GATE_EVENTS) return void onGateEvents.push(payload.toString());
    const reply = replySchema.parse(JSON.parse(payload.toString()));
    const correlation = packet.properties?.correlationData;
    if (topic === REPLIES && Buffer.isBuffer(correlation)) replies.set(correlation.toString(), reply);
    else defaultReplies.push({ topic, reply });
  });
  await client.subscribeAsync([`${REPLY_PREFIX}/#`, GATE_EVENTS], { qos: 1 });
});

afterEach(async () => {
  await client?.endAsync(true);
  await uplink?.stop();
  store?.close();
  rmSync(dataDir, { recursive: true, force: true });
  await broker.dispose();
});

let correlations = 0;

/**
 * Publishes as central does: signed for `topic` (or, with `signFor`, for another topic), with a
 * responseTopic and correlation data unless told otherwise; returns the correlation.
 */
async function send(
  topic: string,
  payload: unknown,
  opts: { withResponseTopic?: boolean; signed?: boolean; signFor?: string; responseTopic?: string } = {},
): Promise<string> {
  const correlation = `c${++correlations}`;
  const body = Buffer.isBuffer(payload) || typeof payload === 'string' ? payload : JSON.stringify(payload);
  const userProperties = opts.signed === false ? undefined : central.sign(opts.signFor ?? topic, body);
  await client.publishAsync(topic, body, {
    qos: 1,
    properties: {
      ...(userProperties && { userProperties }),
      ...(opts.withResponseTopic !== false && {
        responseTopic: opts.responseTopic ?? REPLIES,
        correlationData: Buffer.from(correlation),
      }),
    },
  });
  return correlation;
}

async function request(topic: string, payload: unknown): Promise<Reply> {
  const correlation = await send(topic, payload);
  await waitFor(() => replies.has(correlation), 10_000, `reply to ${topic}`);
  return replies.get(correlation)!;
}

const ping = (id: string, fields: Record<string, unknown> = {}) =>
  request(commandTopic(PREFIX, SITE, 'ping'), { id, ts: Date.now(), ...fields });
const deny = (payload: unknown) => request(listTopic(PREFIX, SITE, 'deny'), payload);

/** The refusal events recorded, counted by reason. */
function refusalsByReason(): Record<string, number> {
  const rows = store.db
    .prepare(
      `SELECT json_extract(payload, '$.reason') AS reason, COUNT(*) AS n FROM events
       WHERE type IN ('command', 'list') AND json_extract(payload, '$.status') IN ('error', 'refused') GROUP BY reason`,
    )
    .all() as { reason: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.reason, r.n]));
}

describe('central → gate over a real broker', () => {
  it('answers ping on the responseTopic, applies a full list and a delta, and asks for the full list on a mismatched delta', async () => {
    const pong = await ping('ping-1');
    expect(pong).toEqual({
      status: 'ok',
      id: 'ping-1',
      data: { bootId: store.bootId, version: expect.any(String), ts: expect.any(Number) },
    });

    expect(
      await deny({ kind: 'full', version: 1, entries: [{ key: '29C12345', reason: 'stolen' }, { key: '云A12345' }] }),
    ).toEqual({
      status: 'ok',
      data: { list: 'deny', version: 1 },
    });
    expect(
      await deny({ kind: 'delta', fromVersion: 1, toVersion: 2, add: [{ key: '51F99999' }], remove: ['29C12345'] }),
    ).toEqual({
      status: 'ok',
      data: { list: 'deny', version: 2 },
    });
    expect(store.lists.get('deny')).toMatchObject({ version: 2, entries: [{ key: '51F99999' }, { key: '云A12345' }] });

    expect(await deny({ kind: 'delta', fromVersion: 5, toVersion: 6, remove: ['51F99999'] })).toEqual({
      status: 'error',
      error: { code: 'version-mismatch', message: expect.stringContaining('send the full list'), currentVersion: 2 },
    });
    expect(store.lists.get('deny')?.version).toBe(2);

    const status = await request(commandTopic(PREFIX, SITE, 'lists.status'), {
      id: 'status-1',
      ts: new Date().toISOString(),
    });
    expect(status).toMatchObject({
      status: 'ok',
      data: { lists: expect.arrayContaining([expect.objectContaining({ name: 'deny', version: 2, entries: 2 })]) },
    });

    // Everything was recorded, and forwarded to central through the outbox like any event.
    const recorded = store.db
      .prepare("SELECT type, json_extract(payload, '$.status') AS status FROM events ORDER BY seq")
      .all();
    expect(recorded).toEqual([
      { type: 'command', status: 'ok' },
      { type: 'list', status: 'applied' },
      { type: 'list', status: 'applied' },
      { type: 'list', status: 'refused' },
      { type: 'command', status: 'ok' },
    ]);
    await waitFor(() => store.events.pendingCount() === 0, 10_000, 'outbox drained');
  });

  it('refuses a thousand malformed commands and list pushes, each with a reason, and keeps answering', async () => {
    expect((await ping('replay-me')).status).toBe('ok');
    const now = Date.now();
    const cmd = (name: string) => commandTopic(PREFIX, SITE, name);
    const list = (name: string) => listTopic(PREFIX, SITE, name);
    // `expect`: the refusal code, or null for topics the gate's subscription never brings it.
    const kinds: {
      topic: string;
      payload: (i: number) => unknown;
      expect: RefusalCode | null;
      withResponseTopic?: boolean;
      signed?: boolean;
      signFor?: string;
    }[] = [
      {
        topic: cmd('barrier.open'),
        payload: (i) => ({ id: `unsigned-${i}`, ts: now, expiresAt: now + 10_000, laneId: 'entry-1' }),
        expect: 'unsigned',
        signed: false,
      },
      {
        topic: cmd('hold.confirm'),
        payload: (i) => ({ id: `moved-${i}`, ts: now, expiresAt: now + 10_000, laneId: 'entry-1' }),
        expect: 'bad-signature',
        signFor: cmd('hold.refuse'),
      },
      {
        topic: list('allow'),
        payload: () => ({ kind: 'full', version: 99, entries: [{ key: '51F99999' }] }),
        expect: 'unsigned',
        signed: false,
      },
      { topic: cmd('ping'), payload: () => '{"id": "x", "ts":', expect: 'bad-json' },
      { topic: cmd('ping'), payload: (i) => ({ id: i, ts: 'yesterday' }), expect: 'invalid' },
      {
        topic: cmd('ping'),
        payload: (i) => ({ id: `big-${i}`, ts: now, args: { pad: 'x'.repeat(COMMAND_MAX_BYTES) } }),
        expect: 'too-large',
      },
      { topic: list('deny'), payload: () => Buffer.alloc(LIST_MAX_BYTES + 1, 0x20), expect: 'too-large' },
      { topic: cmd('ping'), payload: (i) => ({ id: `old-${i}`, ts: now - 10 * 60_000 }), expect: 'expired' },
      { topic: cmd('ping'), payload: (i) => ({ id: `gone-${i}`, ts: now, expiresAt: now - 1 }), expect: 'expired' },
      { topic: cmd('ping'), payload: (i) => ({ id: `future-${i}`, ts: now + 10 * 60_000 }), expect: 'too-early' },
      { topic: cmd('ping'), payload: () => ({ id: 'replay-me', ts: now }), expect: 'replayed' },
      { topic: cmd('ping'), payload: (i) => ({ id: `lane-${i}`, ts: now, laneId: 'lane-9' }), expect: 'unknown-lane' },
      { topic: cmd('barrier.close'), payload: (i) => ({ id: `close-${i}`, ts: now }), expect: 'unknown-command' }, // there is no close, by design
      { topic: list('deny'), payload: () => 'not json', expect: 'bad-json' },
      { topic: list('allow'), payload: () => ({ kind: 'full', version: '7', entries: {} }), expect: 'invalid' },
      { topic: list('vip'), payload: () => ({ kind: 'full', version: 1, entries: [] }), expect: 'unknown-list' },
      { topic: `${PREFIX}/${SITE}/commands/`, payload: (i) => ({ id: `empty-${i}`, ts: now }), expect: 'wrong-topic' },
      { topic: `${PREFIX}/other-site/commands/ping`, payload: (i) => ({ id: `other-${i}`, ts: now }), expect: null },
      { topic: `${cmd('ping')}/extra`, payload: (i) => ({ id: `deep-${i}`, ts: now }), expect: null },
      { topic: cmd('ping'), payload: () => '{{', expect: 'bad-json', withResponseTopic: false },
    ];

    const sent: { correlation: string; expect: RefusalCode | null; withResponseTopic: boolean }[] = [];
    for (let batch = 0; batch < 1000; batch += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, j) => {
          const i = batch + j;
          const kind = kinds[i % kinds.length]!;
          const withResponseTopic = kind.withResponseTopic ?? true;
          const correlation = await send(kind.topic, kind.payload(i), {
            withResponseTopic,
            ...(kind.signed === false && { signed: false }),
            ...(kind.signFor && { signFor: kind.signFor }),
          });
          sent.push({ correlation, expect: kind.expect, withResponseTopic });
        }),
      );
    }
    expect(sent).toHaveLength(1000);

    const answerable = sent.filter((s) => s.expect !== null && s.withResponseTopic);
    const toDefaultTopic = sent.filter((s) => s.expect !== null && !s.withResponseTopic);
    await waitFor(
      () => answerable.every((s) => replies.has(s.correlation)) && defaultReplies.length >= toDefaultTopic.length,
      15_000,
      'a reply to every refusal',
    );

    // Each answerable message got an error reply with the reason its kind deserves.
    for (const s of answerable)
      expect({
        correlation: s.correlation,
        code: (replies.get(s.correlation) as { error?: { code: string } }).error?.code,
      }).toEqual({ correlation: s.correlation, code: s.expect });
    expect(defaultReplies).toHaveLength(toDefaultTopic.length);
    for (const { topic, reply } of defaultReplies)
      expect({ topic, reply }).toMatchObject({
        topic: `${REPLY_PREFIX}/commands/ping`,
        reply: { status: 'error', error: { code: 'bad-json' } },
      });

    // A packet past the gate's Maximum Packet Size is dropped by the broker, never buffered by the gate.
    const huge = await send(cmd('ping'), Buffer.alloc(INBOUND_MAX_PACKET_BYTES + 1, 0x20));

    // The gate still answers, on the same connection: the flood neither crashed nor disconnected it.
    expect(await ping('after-the-flood')).toMatchObject({ status: 'ok', id: 'after-the-flood' });
    expect(replies.has(huge)).toBe(false);
    expect(uplink.connection.stats()).toMatchObject({ connected: true, connects: 1, disconnects: 0 });

    // Messages on topics outside the gate's subscriptions never reached it: no reply, no event.
    for (const s of sent.filter((x) => x.expect === null)) expect(replies.has(s.correlation)).toBe(false);
    // No unsigned or badly signed message got further than its refusal.
    expect(store.lists.get('allow')).toBeUndefined();

    // Every refusal was recorded as an event, by reason.
    const expected: Record<string, number> = {};
    for (const s of sent) if (s.expect) expected[s.expect] = (expected[s.expect] ?? 0) + 1;
    expect(refusalsByReason()).toEqual(expected);
    expect(Object.values(expected).reduce((a, b) => a + b, 0)).toBe(answerable.length + toDefaultTopic.length);
  });

  it("never replies on the gate's own topics or outside the reply prefix, and records the outcome with a note", async () => {
    const central2 = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: 'central-elsewhere',
      reconnectPeriod: 0,
    });
    const elsewhere: string[] = [];
    central2.on('message', (topic) => elsewhere.push(topic));
    await central2.subscribeAsync(['central/#', `${PREFIX}/${SITE}/status`, `${PREFIX}/${SITE}/commands/#`], {
      qos: 1,
    });
    try {
      await send(
        commandTopic(PREFIX, SITE, 'ping'),
        { id: 'to-events', ts: Date.now() },
        { responseTopic: GATE_EVENTS },
      );
      await send(
        commandTopic(PREFIX, SITE, 'ping'),
        { id: 'to-status', ts: Date.now() },
        { responseTopic: `${PREFIX}/${SITE}/status` },
      );
      await send(
        commandTopic(PREFIX, SITE, 'ping'),
        { id: 'to-command', ts: Date.now() },
        { responseTopic: commandTopic(PREFIX, SITE, 'barrier.open') },
      );
      await send(
        commandTopic(PREFIX, SITE, 'ping'),
        { id: 'elsewhere', ts: Date.now() },
        { responseTopic: 'central/elsewhere' },
      );
      // Answered after the four above were handled (one connection, in order).
      expect(await ping('after')).toMatchObject({ status: 'ok', id: 'after' });
      await waitFor(
        () => store.events.pendingCount() === 0 && onGateEvents.length >= 5,
        10_000,
        'the five command events forwarded',
      );

      // The gate's events topic carried its five command events, and nothing else.
      expect(onGateEvents.map((text) => parseWireEvent(text))).toEqual(
        Array.from({ length: 5 }, () => ({ event: expect.objectContaining({ type: 'command' }) })),
      );
      // Central's subscriber saw the gate's status (retained, online) and the four requests, no reply.
      expect(elsewhere.filter((t) => t.startsWith('central/'))).toEqual([]);
      expect(elsewhere.filter((t) => t === `${PREFIX}/${SITE}/status`)).toHaveLength(1);
      expect(elsewhere.filter((t) => t === commandTopic(PREFIX, SITE, 'barrier.open'))).toEqual([]);
      const recorded = store.db
        .prepare(
          "SELECT json_extract(payload, '$.id') AS id, json_extract(payload, '$.status') AS status, json_extract(payload, '$.replyRefused') AS note FROM events WHERE type = 'command' ORDER BY seq",
        )
        .all();
      expect(recorded).toEqual([
        {
          id: 'to-events',
          status: 'ok',
          note: `responseTopic ${GATE_EVENTS} is not under the reply prefix ${REPLY_PREFIX}/; no reply sent`,
        },
        { id: 'to-status', status: 'ok', note: expect.stringContaining('is not under the reply prefix') },
        { id: 'to-command', status: 'ok', note: expect.stringContaining('is not under the reply prefix') },
        { id: 'elsewhere', status: 'ok', note: expect.stringContaining('is not under the reply prefix') },
        { id: 'after', status: 'ok', note: null },
      ]);
    } finally {
      await central2.endAsync(true);
    }
  });
});
