import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import { centralHandlers } from '../../src/uplink/central-handlers.js';
import { CentralInbox, type InboxConnection } from '../../src/uplink/central-inbox.js';
import type { MqttMessage, ReceivedProperties } from '../../src/uplink/publisher.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

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

  deliver(topic: string, payload: unknown, properties: ReceivedProperties = {}): void {
    this.listener?.(topic, Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload)), properties);
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
    const handlers = centralHandlers({ clock, bootId: 'boot-1', version: '9.9.9', laneIds: ['entry-1'], config: { maxAgeMs: 300_000, maxFutureMs: 60_000 }, store });
    const inbox = new CentralInbox({ clock, log: silentLogger }, { topicPrefix: 'sg/v1', siteId: 'mlt-kth', connection, ...handlers });
    await inbox.start();
    const recorded = () => store.events.pending(1000).map((e) => e.event);
    const replies = () => connection.published.map((m) => ({ topic: m.topic, reply: JSON.parse(m.payload) as unknown, correlationData: m.correlationData?.toString() }));
    return { clock, store, connection, inbox, recorded, replies };
  }

  it('subscribes to its site\'s commands and lists, one level deep', () => {
    expect(CentralInbox.filters('sg/v1', 'mlt-kth')).toEqual(['sg/v1/mlt-kth/commands/+', 'sg/v1/mlt-kth/lists/+']);
  });

  it('answers ping on the responseTopic with the correlationData, and records the command', async () => {
    const { clock, connection, recorded, replies } = await setUp();
    connection.deliver('sg/v1/mlt-kth/commands/ping', { id: 'p-1', ts: clock.now() }, { responseTopic: 'central/replies/7', correlationData: Buffer.from('corr-7') });
    expect(replies()).toEqual([
      { topic: 'central/replies/7', reply: { status: 'ok', id: 'p-1', data: { bootId: 'boot-1', version: '9.9.9', ts: clock.now() } }, correlationData: 'corr-7' },
    ]);
    expect(connection.published[0]).toMatchObject({ qos: 1, retain: false });
    expect(recorded()).toMatchObject([{ type: 'command', laneId: 'gate', payload: { name: 'ping', id: 'p-1', status: 'ok', reason: null } }]);
  });

  it('replies on {topic}/response when the request named no responseTopic', async () => {
    const { clock, connection, replies } = await setUp();
    connection.deliver('sg/v1/mlt-kth/commands/nope', { id: 'n-1', ts: clock.now() });
    expect(replies()).toEqual([
      { topic: 'sg/v1/mlt-kth/commands/nope/response', reply: { status: 'error', id: 'n-1', error: { code: 'unknown-command', message: expect.stringContaining('no command "nope"') } }, correlationData: undefined },
    ]);
  });

  it('treats an empty responseTopic as none', async () => {
    const { clock, connection, replies } = await setUp();
    connection.deliver('sg/v1/mlt-kth/commands/ping', { id: 'e-1', ts: clock.now() }, { responseTopic: '' });
    expect(replies().map((r) => r.topic)).toEqual(['sg/v1/mlt-kth/commands/ping/response']);
  });

  it('applies list pushes and reports them in lists.status', async () => {
    const { clock, connection, replies, recorded } = await setUp();
    connection.deliver('sg/v1/mlt-kth/lists/deny', { kind: 'full', version: 2, entries: [{ key: '29C12345' }, { key: '29C12346' }] }, { responseTopic: 'r' });
    clock.advance(5000);
    connection.deliver('sg/v1/mlt-kth/commands/lists.status', { id: 's-1', ts: clock.now() }, { responseTopic: 'r' });
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
          ],
        },
      },
    ]);
    expect(recorded().map((e) => e.type)).toEqual(['list', 'command']);
  });

  it('answers outbox.status with the pending count and the oldest pending event\'s age', async () => {
    const { clock, connection, replies, store } = await setUp();
    const first = store.events.append({ type: 'plate.read', laneId: 'entry-1', payload: {} });
    clock.advance(42_000);
    connection.deliver('sg/v1/mlt-kth/commands/outbox.status', { id: 'o-1', ts: clock.now() }, { responseTopic: 'r' });
    expect(replies()[0]!.reply).toEqual({ status: 'ok', id: 'o-1', data: { pending: 1, oldestPendingEventId: first.eventId, oldestPendingAgeMs: 42_000 } });
  });

  it('refuses a wrong topic, replying only on a responseTopic, and records it', async () => {
    const { connection, replies, recorded } = await setUp();
    connection.deliver('sg/v1/mlt-kth/commands/', {}, { responseTopic: 'r' });
    connection.deliver('sg/v1/other/commands/ping', {});
    expect(replies()).toEqual([{ topic: 'r', reply: { status: 'error', error: { code: 'wrong-topic', message: expect.stringContaining('the command name (last topic level) is empty') } }, correlationData: undefined }]);
    expect(recorded().map((e) => e.payload)).toEqual([
      expect.objectContaining({ status: 'error', reason: 'wrong-topic' }),
      expect.objectContaining({ status: 'error', reason: 'wrong-topic', message: 'topic is not under sg/v1/mlt-kth/ (topic sg/v1/other/commands/ping)' }),
    ]);
  });

  it('still replies when recording fails, never throws, and stops listening on stop()', async () => {
    const { clock, connection, store, replies } = await setUp();
    const handlers = centralHandlers({ clock, bootId: 'boot-1', laneIds: [], config: { maxAgeMs: 300_000, maxFutureMs: 60_000 }, store });
    const failingSink = { append: () => { throw new Error('disk full'); } };
    const inbox = new CentralInbox({ clock, log: silentLogger }, { topicPrefix: 'sg/v1', siteId: 'mlt-kth', connection, ...handlers, events: failingSink });
    await inbox.start();
    connection.deliver('sg/v1/mlt-kth/commands/ping', { id: 'p-2', ts: clock.now() }, { responseTopic: 'r' });
    expect(replies().map((r) => r.reply)).toEqual([expect.objectContaining({ status: 'ok', id: 'p-2' })]);
    store.close(); // now the command log throws too: the message is dropped, nothing escapes
    expect(() => connection.deliver('sg/v1/mlt-kth/commands/ping', { id: 'p-3', ts: clock.now() }, { responseTopic: 'r' })).not.toThrow();
    expect(replies()).toHaveLength(1);
    await inbox.stop();
    expect(connection.listening).toBe(false);
  });
});
