import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { laneDecisionsSchema } from '../../src/config/decisions.js';
import { flowSchema } from '../../src/config/flow.js';
import { EventBus } from '../../src/core/bus.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import type { LaneEvents } from '../../src/lane/events.js';
import { LaneController } from '../../src/lane/flow/lane-controller.js';
import { LaneDecider } from '../../src/lane/deciding/decider.js';
import { centralHandlers } from '../../src/uplink/central-handlers.js';
import { CentralInbox, type InboxConnection } from '../../src/uplink/central-inbox.js';
import { CentralKeys } from '../../src/uplink/central-signature.js';
import type { MqttMessage, ReceivedProperties } from '../../src/uplink/publisher.js';
import { gateOwnTopics } from '../../src/domain/topics.js';
import { centralSigner } from '../helpers/central-signer.js';
import { FakeBarrier } from '../helpers/fake-barrier.js';
import { settle } from '../helpers/fake-serial-port.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

const central = centralSigner('central-1');
const COMMANDS = { maxAgeMs: 300_000, maxFutureMs: 60_000, actuatingMaxAgeMs: 15_000, acceptUnsignedReadOnly: false };
const REPLIES = 'sg/v1/mlt-kth/replies';
const inboxOptions = {
  topicPrefix: 'sg/v1',
  siteId: 'mlt-kth',
  keys: new CentralKeys(central.keys),
  replies: { prefix: REPLIES, ownTopics: gateOwnTopics('sg/v1', 'mlt-kth', '+') },
};

/** A connection that records what is published and lets the test deliver messages. */
class FakeConnection implements InboxConnection {
  readonly published: MqttMessage[] = [];
  private listener: ((topic: string, payload: Buffer, properties: ReceivedProperties) => void) | null = null;

  onMessage(listener: (topic: string, payload: Buffer, properties: ReceivedProperties) => void): () => void {
    this.listener = listener;
    return () => (this.listener = null);
  }

  publish(message: MqttMessage, done: (err: Error | null) => void): void {
    this.published.push(message);
    done(null);
  }

  /** Delivers a message as central sends it: signed, unless `signed` is false. */
  deliver(topic: string, payload: unknown, properties: ReceivedProperties = {}, signed = true): void {
    const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
    this.listener?.(topic, bytes, signed ? { userProperties: central.sign(topic, bytes), ...properties } : properties);
  }

  get listening(): boolean {
    return this.listener !== null;
  }
}

describe('CentralInbox', () => {
  const temp = useTempDirs();

  async function setUp() {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const store = temp.open(temp.make(), { bootId: 'boot-1' }, clock);
    const connection = new FakeConnection();
    const handlers = centralHandlers({
      clock,
      bootId: 'boot-1',
      version: '9.9.9',
      laneIds: ['entry-1'],
      config: COMMANDS,
      store,
    });
    const inbox = new CentralInbox({ clock, log: silentLogger }, { ...inboxOptions, connection, ...handlers });
    await inbox.start();
    const recorded = () => store.events.pending(1000).map((e) => e.event);
    const replies = () =>
      connection.published.map((m) => ({
        topic: m.topic,
        reply: JSON.parse(m.payload) as unknown,
        correlationData: m.correlationData?.toString(),
      }));
    return { clock, store, connection, inbox, recorded, replies };
  }

  it("subscribes to its site's commands and lists, one level deep", () => {
    expect(CentralInbox.filters('sg/v1', 'mlt-kth')).toEqual(['sg/v1/mlt-kth/commands/+', 'sg/v1/mlt-kth/lists/+']);
  });

  it('answers ping on the responseTopic with the correlationData, and records the command', async () => {
    const { clock, connection, recorded, replies } = await setUp();
    connection.deliver(
      'sg/v1/mlt-kth/commands/ping',
      { id: 'p-1', ts: clock.now() },
      { responseTopic: `${REPLIES}/7`, correlationData: Buffer.from('corr-7') },
    );
    expect(replies()).toEqual([
      {
        topic: `${REPLIES}/7`,
        reply: { status: 'ok', id: 'p-1', data: { bootId: 'boot-1', version: '9.9.9', ts: clock.now() } },
        correlationData: 'corr-7',
      },
    ]);
    expect(connection.published[0]).toMatchObject({ qos: 1, retain: false });
    expect(recorded()).toMatchObject([
      {
        type: 'command',
        laneId: 'gate',
        payload: { name: 'ping', id: 'p-1', status: 'ok', reason: null, kid: 'central-1' },
      },
    ]);
  });

  it('replies under the reply prefix, by kind and name, when the request named no responseTopic', async () => {
    const { clock, connection, replies } = await setUp();
    connection.deliver('sg/v1/mlt-kth/commands/nope', { id: 'n-1', ts: clock.now() });
    expect(replies()).toEqual([
      {
        topic: `${REPLIES}/commands/nope`,
        reply: {
          status: 'error',
          id: 'n-1',
          error: { code: 'unknown-command', message: expect.stringContaining('no command "nope"') },
        },
        correlationData: undefined,
      },
    ]);
  });

  it('treats an empty responseTopic as none', async () => {
    const { clock, connection, replies } = await setUp();
    connection.deliver('sg/v1/mlt-kth/commands/ping', { id: 'e-1', ts: clock.now() }, { responseTopic: '' });
    expect(replies().map((r) => r.topic)).toEqual([`${REPLIES}/commands/ping`]);
  });

  it('applies list pushes and reports them in lists.status', async () => {
    const { clock, connection, replies, recorded } = await setUp();
    connection.deliver(
      'sg/v1/mlt-kth/lists/deny',
      { kind: 'full', version: 2, entries: [{ key: '29C12345' }, { key: '29C12346' }] },
      { responseTopic: `${REPLIES}/r` },
    );
    clock.advance(5000);
    connection.deliver(
      'sg/v1/mlt-kth/commands/lists.status',
      { id: 's-1', ts: clock.now() },
      { responseTopic: `${REPLIES}/r` },
    );
    expect(replies().map((r) => r.reply)).toEqual([
      { status: 'ok', data: { list: 'deny', version: 2 } },
      {
        status: 'ok',
        id: 's-1',
        data: {
          lists: [
            { name: 'allow', version: null, entries: 0, receivedAt: null, ageMs: null },
            { name: 'deny', version: 2, entries: 2, receivedAt: clock.now() - 5000, ageMs: 5000 },
            { name: 'watch', version: null, entries: 0, receivedAt: null, ageMs: null },
            { name: 'declarations', version: null, entries: 0, receivedAt: null, ageMs: null },
          ],
        },
      },
    ]);
    expect(recorded().map((e) => e.type)).toEqual(['list', 'command']);
  });

  it("answers outbox.status with the pending count and the oldest pending event's age", async () => {
    const { clock, connection, replies, store } = await setUp();
    const first = store.events.append({ type: 'plate.read', laneId: 'entry-1', payload: {} });
    clock.advance(42_000);
    connection.deliver(
      'sg/v1/mlt-kth/commands/outbox.status',
      { id: 'o-1', ts: clock.now() },
      { responseTopic: `${REPLIES}/r` },
    );
    expect(replies()[0]!.reply).toEqual({
      status: 'ok',
      id: 'o-1',
      data: { pending: 1, oldestPendingEventId: first.eventId, oldestPendingAgeMs: 42_000 },
    });
  });

  it('refuses a wrong topic, replying only on a responseTopic, and records it', async () => {
    const { connection, replies, recorded } = await setUp();
    connection.deliver('sg/v1/mlt-kth/commands/', {}, { responseTopic: `${REPLIES}/r` });
    connection.deliver('sg/v1/other/commands/ping', {});
    expect(replies()).toEqual([
      {
        topic: `${REPLIES}/r`,
        reply: {
          status: 'error',
          error: {
            code: 'wrong-topic',
            message: expect.stringContaining('the command name (last topic level) is empty'),
          },
        },
        correlationData: undefined,
      },
    ]);
    expect(recorded().map((e) => e.payload)).toEqual([
      expect.objectContaining({ status: 'error', reason: 'wrong-topic' }),
      expect.objectContaining({
        status: 'error',
        reason: 'wrong-topic',
        message: 'topic is not under sg/v1/mlt-kth/ (topic sg/v1/other/commands/ping)',
      }),
    ]);
  });

  it('when the outcome cannot be recorded nothing is kept: the reply says failed, and a redelivery runs the command', async () => {
    const { clock, connection, store, replies, recorded } = await setUp();
    const handlers = centralHandlers({ clock, bootId: 'boot-1', laneIds: [], config: COMMANDS, store });
    let full = true;
    const sink = {
      append: (event: Parameters<typeof store.events.append>[0]) => {
        if (full) throw new Error('SQLITE_FULL: database or disk is full');
        return store.events.append(event);
      },
      transaction: <T>(fn: () => T) => store.events.transaction(fn),
      afterCommit: (fn: () => void) => store.events.afterCommit(fn),
    };
    const inbox = new CentralInbox(
      { clock, log: silentLogger },
      { ...inboxOptions, connection, ...handlers, events: sink },
    );
    await inbox.start();
    const ping = { id: 'p-2', ts: clock.now() };
    connection.deliver('sg/v1/mlt-kth/commands/ping', ping, { responseTopic: `${REPLIES}/r` });
    expect(replies().map((r) => r.reply)).toEqual([
      {
        status: 'error',
        id: 'p-2',
        error: { code: 'failed', message: 'not recorded, so not done: SQLITE_FULL: database or disk is full' },
      },
    ]);
    expect(store.commandIds.size()).toBe(0); // the id went with the rest
    full = false;
    connection.deliver('sg/v1/mlt-kth/commands/ping', ping, { responseTopic: `${REPLIES}/r` });
    expect(replies()[1]!.reply).toMatchObject({ status: 'ok', id: 'p-2' });
    expect(recorded()).toMatchObject([{ type: 'command', payload: { id: 'p-2', status: 'ok' } }]);
    store.close(); // now the command log throws too: still a reply, nothing escapes
    expect(() =>
      connection.deliver(
        'sg/v1/mlt-kth/commands/ping',
        { id: 'p-3', ts: clock.now() },
        { responseTopic: `${REPLIES}/r` },
      ),
    ).not.toThrow();
    expect(replies()[2]!.reply).toMatchObject({ status: 'error', error: { code: 'failed' } });
    await inbox.stop();
    expect(connection.listening).toBe(false);
  });

  it.each([
    ['unsigned', {}, 'unsigned'],
    [
      'signed by another key',
      { userProperties: centralSigner('central-1').sign('sg/v1/mlt-kth/commands/ping', '{}') },
      'bad-signature',
    ],
  ])('refuses an %s command or list push, replies with the code and records it', async (_what, properties, code) => {
    const { clock, connection, replies, recorded, store } = await setUp();
    connection.deliver(
      'sg/v1/mlt-kth/commands/ping',
      { id: 'u-1', ts: clock.now() },
      { responseTopic: `${REPLIES}/u`, ...properties },
      false,
    );
    connection.deliver(
      'sg/v1/mlt-kth/lists/allow',
      { kind: 'full', version: 1, entries: [{ key: '29C12345' }] },
      { responseTopic: `${REPLIES}/u`, ...properties },
      false,
    );
    expect(replies().map((r) => r.reply)).toEqual([
      { status: 'error', error: { code, message: expect.any(String) } },
      { status: 'error', error: { code, message: expect.any(String) } },
    ]);
    expect(recorded().map((e) => [e.type, e.payload.status, e.payload.reason])).toEqual([
      ['command', 'error', code],
      ['list', 'refused', code],
    ]);
    expect(store.lists.get('allow')).toBeUndefined();
  });

  it("sends no reply to a responseTopic outside the reply prefix or on the gate's own topics, and notes it in the event", async () => {
    const { clock, connection, replies, recorded } = await setUp();
    const refused = [
      'sg/v1/mlt-kth/entry-1/events',
      'sg/v1/mlt-kth/status',
      'sg/v1/mlt-kth/commands/barrier.open',
      'central/elsewhere',
      `${REPLIES}/#`,
    ];
    for (const [i, responseTopic] of refused.entries())
      connection.deliver('sg/v1/mlt-kth/commands/ping', { id: `r-${i}`, ts: clock.now() }, { responseTopic });
    connection.deliver('sg/v1/mlt-kth/commands/', {}, { responseTopic: 'sg/v1/mlt-kth/entry-1/events' });
    expect(replies()).toEqual([]);
    const events = recorded().map((e) => e.payload);
    expect(events).toHaveLength(refused.length + 1);
    // The command ran all the same (a ping), and the event says where its reply did not go.
    expect(events[0]).toMatchObject({
      name: 'ping',
      id: 'r-0',
      status: 'ok',
      replyRefused:
        'responseTopic sg/v1/mlt-kth/entry-1/events is not under the reply prefix sg/v1/mlt-kth/replies/; no reply sent',
    });
    expect(events[4]).toMatchObject({ replyRefused: expect.stringContaining('has a wildcard') });
    expect(events[5]).toMatchObject({
      reason: 'wrong-topic',
      replyRefused: expect.stringContaining('is not under the reply prefix'),
    });
  });
});

describe('a command and what it does commit together', () => {
  const temp = useTempDirs();

  // Central's barrier.open on a lane with a real store, a real lane controller and a barrier
  // that records the opens it is asked for; the `command` event's append fails once, as a
  // full disk (or a crash) would stop it right after the id was remembered and the lane's
  // own records written.
  async function setUp() {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const store = temp.open(temp.make(), { bootId: 'boot-1' }, clock);
    const bus = new EventBus<LaneEvents>(silentLogger);
    const barrier = new FakeBarrier();
    const decider = new LaneDecider({ bus, log: silentLogger, clock }, { sink: store.events, lists: store.lists });
    const lane = new LaneController(
      { bus, log: silentLogger, clock },
      { decider, sink: store.events, barrier },
      {
        lane: { id: 'entry-1', direction: 'entry', rules: laneDecisionsSchema.parse({}) },
        flow: flowSchema.parse({}),
        barrierDriver: 'lcus',
        loopWired: false,
        commandDeadlineMs: 2000,
        openingTimeoutMs: 10_000,
      },
    );
    await lane.start();
    const connection = new FakeConnection();
    const handlers = centralHandlers({
      clock,
      bootId: 'boot-1',
      laneIds: ['entry-1'],
      config: COMMANDS,
      store,
      lanes: [lane],
    });
    const failures = { command: 0 };
    const events = {
      append: (event: Parameters<typeof store.events.append>[0]) => {
        if (event.type === 'command' && failures.command > 0) {
          failures.command--;
          throw new BetterSqlite3.SqliteError('database or disk is full', 'SQLITE_FULL');
        }
        return store.events.append(event);
      },
      transaction: <T>(fn: () => T) => store.events.transaction(fn),
      afterCommit: (fn: () => void) => store.events.afterCommit(fn),
    };
    const inbox = new CentralInbox({ clock, log: silentLogger }, { ...inboxOptions, connection, ...handlers, events });
    await inbox.start();
    const types = () =>
      store.events
        .pending(1000)
        .map((e) =>
          e.event.type === 'barrier.actuation' ? `actuation:${e.event.payload.phase as string}` : e.event.type,
        );
    const replies = () => connection.published.map((m) => JSON.parse(m.payload) as Record<string, unknown>);
    return { clock, store, lane, barrier, connection, failures, types, replies, stop: () => lane.stop() };
  }

  it("a failure after the id was remembered rolls the id back with the lane's records: nothing opened, and the redelivery runs the command", async () => {
    const { clock, store, lane, barrier, connection, failures, types, replies, stop } = await setUp();
    const open = {
      id: 'c-1',
      ts: clock.now(),
      expiresAt: clock.now() + 10_000,
      laneId: 'entry-1',
      args: { operator: 'op-17', reason: 'ambulance' },
    };
    failures.command = 1;
    connection.deliver('sg/v1/mlt-kth/commands/barrier.open', open, { responseTopic: `${REPLIES}/r` });
    await settle();
    expect(replies()).toEqual([
      {
        status: 'error',
        id: 'c-1',
        error: { code: 'failed', message: 'not recorded, so not done: database or disk is full' },
      },
    ]);
    expect(store.commandIds.size()).toBe(0);
    expect(types()).toEqual([]); // neither the operator's action nor the open's request
    expect(barrier.opens).toEqual([]);
    expect(lane.snapshot().phase).toBe('idle');

    // The broker delivers it again (no PUBACK went out before the crash, or central retries).
    connection.deliver('sg/v1/mlt-kth/commands/barrier.open', open, { responseTopic: `${REPLIES}/r` });
    await settle();
    expect(replies()[1]).toMatchObject({ status: 'ok', id: 'c-1' });
    expect(barrier.opens).toHaveLength(1);
    expect(types()).toEqual(['operator.action', 'actuation:requested', 'command', 'actuation:result']);
    expect(store.commandIds.size()).toBe(1);
    // And only once: a third delivery is a replay.
    connection.deliver('sg/v1/mlt-kth/commands/barrier.open', open, { responseTopic: `${REPLIES}/r` });
    expect(replies()[2]).toMatchObject({ status: 'error', error: { code: 'replayed' } });
    await settle();
    expect(barrier.opens).toHaveLength(1);
    await stop();
  });
});
