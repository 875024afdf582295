import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import { checkpointSignatureValid, parseCheckpoint, prunedRangeSignatureValid } from '../../src/evidence/checkpoint.js';
import { checkEventFields } from '../../src/evidence/chain.js';
import { loadOrCreateGateKey } from '../../src/evidence/gate-key.js';
import { CheckpointService } from '../../src/store/checkpoint-service.js';
import { MIGRATIONS, migrate } from '../../src/store/migrations.js';
import type { Store } from '../../src/store/store.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

const DAY = 86_400_000;

describe('the evidence chain in the store', () => {
  const temp = useTempDirs();

  const read = (laneId: string, text: string, crop?: Buffer) => ({
    type: 'plate.read' as const,
    laneId,
    payload: { text, confidence: 0.9 },
    ...(crop ? { crop } : {}),
  });

  function prunedRows(store: Store) {
    return store.db
      .prepare(
        'SELECT lane_id, from_seq, to_seq, last_hash, key_id, signature FROM chain_pruned ORDER BY lane_id, from_seq',
      )
      .all() as {
      lane_id: string;
      from_seq: number;
      to_seq: number;
      last_hash: string;
      key_id: string;
      signature: string;
    }[];
  }

  it("links each lane's events to the lane's previous one, and moves the lane's head with them", () => {
    const store = temp.open(temp.make());
    const a1 = store.events.append(read('entry-1', '29C12345', Buffer.from('crop')));
    const b1 = store.events.append(read('exit-1', '29C99999'));
    const a2 = store.events.append(read('entry-1', '29C12346'));
    expect(a1.chain).toMatchObject({ prevHash: null });
    expect(b1.chain).toMatchObject({ prevHash: null, cropHash: null });
    expect(a2.chain!.prevHash).toBe(a1.chain!.chainHash);
    expect(checkEventFields(a1, a1.payload, a1.chain!, Buffer.from('crop'))).toBeNull();
    expect(store.db.prepare('SELECT lane_id, last_seq, head_hash FROM lane_seq ORDER BY lane_id').all()).toEqual([
      { lane_id: 'entry-1', last_seq: 2, head_hash: a2.chain!.chainHash },
      { lane_id: 'exit-1', last_seq: 1, head_hash: b1.chain!.chainHash },
    ]);
    // As read back (the uplink forwards from the store), the same fields.
    expect(store.events.get(a2.eventId)!.event.chain).toEqual(a2.chain);
  });

  it('leaves the head where it was when the transaction of an append rolls back', () => {
    const store = temp.open(temp.make());
    const first = store.events.append(read('entry-1', 'A'));
    expect(() =>
      store.events.transaction(() => {
        store.events.append(read('entry-1', 'B'));
        throw new Error('the barrier refused');
      }),
    ).toThrow('the barrier refused');
    const next = store.events.append(read('entry-1', 'C'));
    expect(next.seq).toBe(2);
    expect(next.chain!.prevHash).toBe(first.chain!.chainHash);
  });

  it('starts the chain after the events an older version recorded, which stay unchained', () => {
    const dir = temp.make();
    const db = new BetterSqlite3(join(dir, 'smartgate.db'));
    migrate(db, new FakeClock(), MIGRATIONS.slice(0, 6));
    db.prepare("INSERT INTO lane_seq (lane_id, last_seq) VALUES ('entry-1', 41)").run();
    db.prepare(
      `INSERT INTO events (event_id, boot_id, seq, site_id, lane_id, type, ts, mono_at, payload)
       VALUES ('01JDX3W6Q2M1T1C9K1R5Z6A7B8', 'old', 41, 'mlt-kth', 'entry-1', 'plate.read', 1, 1, '{"text":"X"}')`,
    ).run();
    db.prepare("INSERT INTO outbox (event_id, delivered_at) VALUES ('01JDX3W6Q2M1T1C9K1R5Z6A7B8', 2)").run();
    db.close();

    const store = temp.open(dir);
    expect(store.events.get('01JDX3W6Q2M1T1C9K1R5Z6A7B8')!.event.chain).toBeNull();
    const next = store.events.append(read('entry-1', 'Y'));
    expect(next).toMatchObject({ seq: 42, chain: { prevHash: null } });
    expect(store.db.prepare("SELECT chain_from FROM lane_seq WHERE lane_id = 'entry-1'").get()).toEqual({
      chain_from: 42,
    });
    // A lane first seen after the upgrade starts at 1.
    store.events.append(read('exit-1', 'Z'));
    expect(store.db.prepare("SELECT chain_from FROM lane_seq WHERE lane_id = 'exit-1'").get()).toEqual({
      chain_from: 1,
    });
  });

  it("signs every lane's head in a checkpoint of the gate lane, the gate lane's own head being the one before it", () => {
    const dir = temp.make();
    const store = temp.open(dir);
    const key = loadOrCreateGateKey(dir).key;
    const a = store.events.append(read('entry-1', 'A'));
    const gate = store.events.append({ type: 'auth', laneId: 'gate', payload: { action: 'login' } });
    const event = store.checkpoints!.record('periodic');
    const checkpoint = parseCheckpoint(event.payload)!;
    expect(event).toMatchObject({ type: 'chain.checkpoint', laneId: 'gate', seq: 2 });
    expect(checkpoint).toMatchObject({
      reason: 'periodic',
      siteId: 'mlt-kth',
      keyId: key.keyId,
      heads: {
        'entry-1': { seq: 1, chainHash: a.chain!.chainHash },
        gate: { seq: 1, chainHash: gate.chain!.chainHash },
      },
    });
    expect(checkpointSignatureValid(checkpoint, key.publicKey)).toBe(true);
    expect(event.chain!.prevHash).toBe(gate.chain!.chainHash);
  });

  it('checkpoints at start, periodically only when something was recorded, and at shutdown', async () => {
    const clock = new FakeClock();
    const store = temp.open(temp.make(), {}, clock);
    const service = new CheckpointService({ clock, log: silentLogger }, store.checkpoints!, { intervalMs: 60_000 });
    const reasons = () =>
      store.events
        .pending(100)
        .filter((e) => e.event.type === 'chain.checkpoint')
        .map((e) => e.event.payload.reason);
    await service.start();
    expect(reasons()).toEqual(['start']);
    clock.advance(60_000);
    expect(reasons()).toEqual(['start']); // nothing new since
    store.events.append(read('entry-1', 'A'));
    clock.advance(60_000);
    expect(reasons()).toEqual(['start', 'periodic']);
    const range = { laneId: 'entry-1', fromSeq: 1, toSeq: 1, lastHash: 'ab'.repeat(32) };
    service.recordRetention([range]);
    expect(store.events.pending(100).at(-1)!.event.payload).toMatchObject({ reason: 'retention', pruned: [range] });
    await service.stop();
    expect(reasons()).toEqual(['start', 'periodic', 'retention', 'shutdown']);
    expect(clock.pendingTimers()).toBe(0);
    expect(service.stats()).toMatchObject({ recorded: 4, failed: 0, lastReason: 'shutdown' });
  });

  it('keeps what retention deleted as signed ranges, merged as they grow, that the next kept event links to', async () => {
    const dir = temp.make();
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const store = temp.open(dir, {}, clock);
    const key = loadOrCreateGateKey(dir).key;
    const events = [];
    for (let i = 1; i <= 8; i++) {
      events.push(store.events.append(read('entry-1', `P${i}`)));
      clock.advance(DAY);
    }
    // 1..5 delivered; retention by age takes 1..3 first, then 4..5.
    store.events.markDelivered(store.events.pending(5).map((e) => e.outboxId));
    clock.advance(85 * DAY); // now 93 days after the first: 1..3 are past 90
    await store.retention.run();
    expect(prunedRows(store).map((r) => [r.from_seq, r.to_seq, r.last_hash])).toEqual([
      [1, 3, events[2]!.chain!.chainHash],
    ]);
    clock.advance(2 * DAY);
    const second = await store.retention.run();
    const [row] = prunedRows(store);
    expect(second.pruned).toEqual([{ laneId: 'entry-1', fromSeq: 1, toSeq: 5, lastHash: events[4]!.chain!.chainHash }]);
    expect(prunedRows(store)).toHaveLength(1);
    expect(row).toMatchObject({ lane_id: 'entry-1', from_seq: 1, to_seq: 5, last_hash: events[4]!.chain!.chainHash });
    expect(events[5]!.chain!.prevHash).toBe(row!.last_hash);
    expect(row!.key_id).toBe(key.keyId);
    const range = { laneId: row!.lane_id, fromSeq: row!.from_seq, toSeq: row!.to_seq, lastHash: row!.last_hash };
    expect(prunedRangeSignatureValid(range, row!.signature, key.publicKey)).toBe(true);
    // The run reports the range as it now stands, for the daemon's `retention` checkpoint.
    const third = await store.retention.run();
    expect(third.pruned).toEqual([]);
    clock.advance(DAY);
    const fourth = await store.retention.run();
    expect(fourth.pruned).toEqual([]); // 6 is not delivered: nothing more goes
    const checkpoint = parseCheckpoint(store.checkpoints!.record('retention', [range]).payload)!;
    expect(checkpoint).toMatchObject({ reason: 'retention', pruned: [range] });
    expect(checkpointSignatureValid(checkpoint, key.publicKey)).toBe(true);
    expect(checkpointSignatureValid({ ...checkpoint, pruned: [{ ...range, toSeq: 4 }] }, key.publicKey)).toBe(false);
  });

  it('refuses to delete chained events without the gate key, deleting nothing', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const store = temp.open(temp.make(), { gateKey: undefined }, clock);
    store.events.append(read('entry-1', 'A'));
    store.events.markDelivered(store.events.pending(5).map((e) => e.outboxId));
    clock.advance(100 * DAY);
    await expect(store.retention.run()).rejects.toThrow('deleting chained events needs the gate key');
    expect(store.events.pending(5)).toHaveLength(0);
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 1 });
    expect(store.checkpoints).toBeNull();
  });
});
