import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import { Drainer, type DrainerOptions } from '../../src/uplink/drainer.js';
import { MemoryOutbox } from '../helpers/memory-outbox.js';
import { ScriptedPublisher } from '../helpers/scripted-publisher.js';

const encode: DrainerOptions['encode'] = (event) => ({
  topic: `t/${event.laneId}`,
  payload: JSON.stringify({ seq: event.seq, eventId: event.eventId }),
  qos: 1,
  retain: false,
});

let clock: FakeClock;
let outbox: MemoryOutbox;
let publisher: ScriptedPublisher;
let drainer: Drainer;

function setUp(options: Partial<DrainerOptions> = {}) {
  clock = new FakeClock();
  outbox = new MemoryOutbox(clock);
  publisher = new ScriptedPublisher();
  drainer = new Drainer({ clock, log: silentLogger }, outbox, publisher, { encode, maxInFlight: 3, ...options });
}

function append(count: number, laneId = 'lane-1') {
  return Array.from({ length: count }, () => outbox.append({ type: 'plate.read', laneId, payload: {} }));
}

afterEach(async () => {
  await drainer?.stop();
});

describe('Drainer', () => {
  it('publishes nothing while disconnected, then everything buffered in recording order', async () => {
    setUp({ maxInFlight: 100 });
    await drainer.start();
    append(5);
    clock.advance(60_000);
    expect(publisher.sent).toHaveLength(0);
    publisher.setConnected(true);
    expect(publisher.seqs()).toEqual([1, 2, 3, 4, 5]);
    expect(publisher.sent[0]!.message).toMatchObject({ topic: 't/lane-1', qos: 1, retain: false });
  });

  it('keeps at most maxInFlight unacknowledged, and sends the next on each ack', async () => {
    setUp({ maxInFlight: 3 });
    publisher.setConnected(true);
    await drainer.start();
    append(10);
    expect(publisher.seqs()).toEqual([1, 2, 3]);
    publisher.ack(2);
    expect(publisher.seqs()).toEqual([1, 2, 3, 4]);
    publisher.ack(1);
    publisher.ack(3);
    expect(publisher.seqs()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(drainer.stats()).toMatchObject({ inFlight: 3, published: 6, acked: 3 });
  });

  it("lowers the bound to the broker's Receive Maximum", async () => {
    setUp({ maxInFlight: 64 });
    publisher.sendQuota = 2;
    publisher.setConnected(true);
    await drainer.start();
    append(5);
    expect(publisher.seqs()).toEqual([1, 2]);
  });

  it('marks an entry delivered only once the broker acknowledged it', async () => {
    setUp({ maxInFlight: 10 });
    publisher.setConnected(true);
    await drainer.start();
    const [first, second] = append(2);
    expect(outbox.pendingCount()).toBe(2);
    publisher.ack(second!.seq);
    // Acks are marked in batches; the batch is written at the latest when nothing is in flight.
    publisher.ack(first!.seq);
    expect(outbox.pendingCount()).toBe(0);
    expect(outbox.markCalls.flat().sort()).toEqual([1, 2]);
  });

  it('after a disconnect resumes from the oldest unacknowledged entry, re-read from the store', async () => {
    setUp({ maxInFlight: 5 });
    publisher.setConnected(true);
    await drainer.start();
    append(7);
    expect(publisher.seqs()).toEqual([1, 2, 3, 4, 5]);
    publisher.ack(1);
    publisher.ack(3);
    publisher.setConnected(false);
    append(1); // seq 8, recorded while down
    expect(publisher.sent).toHaveLength(7);
    expect(drainer.stats()).toMatchObject({ connected: false, inFlight: 0, pending: 6 });
    publisher.setConnected(true);
    expect(publisher.seqs().slice(7)).toEqual([2, 4, 5, 6, 7]);
  });

  it('counts a PUBACK that arrives after the connection it was sent on as delivery', async () => {
    setUp({ maxInFlight: 5 });
    publisher.setConnected(true);
    await drainer.start();
    append(2);
    const stale = publisher.sent[0]!;
    publisher.setConnected(false);
    publisher.setConnected(true);
    expect(publisher.seqs()).toEqual([1, 2, 1, 2]);
    stale.done(null);
    publisher.setConnected(false); // flushes the marks
    expect(outbox.pendingCount()).toBe(1);
    expect(outbox.isDelivered(1)).toBe(true);
  });

  it('wakes on append, not on a timer', async () => {
    setUp({ maxInFlight: 5, safetyIntervalMs: 60_000 });
    publisher.setConnected(true);
    await drainer.start();
    append(1);
    expect(publisher.seqs()).toEqual([1]);
    expect(clock.pendingTimers()).toBe(1); // only the slow safety timer
  });

  it('re-sends from the oldest undelivered after the broker refused a publish, once in-flight settled', async () => {
    setUp({ maxInFlight: 3, retryDelayMs: 1000 });
    publisher.setConnected(true);
    await drainer.start();
    append(5);
    publisher.ack(1);
    expect(publisher.seqs()).toEqual([1, 2, 3, 4]);
    publisher.ack(2, new Error('Quota exceeded'));
    expect(publisher.seqs()).toEqual([1, 2, 3, 4]); // nothing new while a refusal is pending
    publisher.ack(3);
    publisher.ack(4);
    clock.advance(999);
    expect(publisher.seqs()).toEqual([1, 2, 3, 4]);
    clock.advance(1);
    expect(publisher.seqs()).toEqual([1, 2, 3, 4, 2, 5]);
    expect(drainer.stats()).toMatchObject({ failed: 1, lastError: 'Quota exceeded' });
  });

  it('removes its listeners and timers on stop, and publishes nothing afterwards', async () => {
    setUp();
    publisher.setConnected(true);
    await drainer.start();
    expect(outbox.listenerCount()).toBe(1);
    expect(publisher.listenerCount()).toBe(1);
    await drainer.stop();
    expect(outbox.listenerCount()).toBe(0);
    expect(publisher.listenerCount()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    append(2);
    expect(publisher.sent).toHaveLength(0);
  });

  it('drains a long backlog completely, in order, when every publish is acknowledged', async () => {
    setUp({ maxInFlight: 7, batchSize: 10 });
    await drainer.start();
    append(250, 'lane-1');
    append(250, 'lane-2');
    publisher.setConnected(true);
    for (let i = 0; i < publisher.sent.length; i++) publisher.sent[i]!.done(null);
    expect(publisher.sent).toHaveLength(500);
    expect(publisher.sent.map((s) => s.message.topic).slice(249, 251)).toEqual(['t/lane-1', 't/lane-2']);
    expect(outbox.pendingCount()).toBe(0);
  });
});
