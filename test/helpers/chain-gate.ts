import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { canonicalJson } from '../../src/evidence/canonical-json.js';
import { chainFieldsFor } from '../../src/evidence/chain.js';
import { DATABASE_FILE, type Store } from '../../src/store/store.js';
import type { StoredEvent } from '../../src/store/types.js';
import { FakeClock } from './fake-clock.js';
import type { useTempDirs } from './store-fixtures.js';

export const CHAIN_LANES = ['entry-1', 'exit-1'] as const;

export interface ChainGate {
  dir: string;
  clock: FakeClock;
  /** The plate reads, with crops, in the order recorded: entry-1, exit-1, entry-1, ... */
  reads: StoredEvent[];
  /** The decisions, each with a frame file (and so an evidence.frame event after it). */
  decisions: StoredEvent[];
  /** The two checkpoints, at start and at shutdown, on the gate lane. */
  checkpoints: StoredEvent[];
}

/**
 * A gate's store as the daemon leaves it, closed: a start checkpoint, `vehicles` vehicles on each of
 * two lanes (a read with its crop, a decision with its frame file and evidence.frame event), a
 * shutdown checkpoint. Per lane 3 events a vehicle; 2 on the gate lane.
 */
export async function chainGate(temp: ReturnType<typeof useTempDirs>, vehicles = 3): Promise<ChainGate> {
  const dir = temp.make();
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 8));
  const store = temp.open(dir, {}, clock);
  const gate: ChainGate = { dir, clock, reads: [], decisions: [], checkpoints: [store.checkpoints!.record('start')] };
  await recordVehicles(store, clock, gate, vehicles);
  gate.checkpoints.push(store.checkpoints!.record('shutdown'));
  store.close();
  return gate;
}

export async function recordVehicles(
  store: Store,
  clock: FakeClock,
  into: Pick<ChainGate, 'reads' | 'decisions'>,
  vehicles: number,
): Promise<void> {
  for (let i = 0; i < vehicles; i++) {
    for (const laneId of CHAIN_LANES) {
      const text = `29C${laneId === 'entry-1' ? 1 : 2}${String(into.reads.length).padStart(4, '0')}`;
      into.reads.push(
        store.events.append({
          type: 'plate.read',
          laneId,
          payload: { text, confidence: 0.93 },
          crop: Buffer.alloc(64, into.reads.length + 1),
        }),
      );
      const decision = store.events.append({ type: 'decision', laneId, payload: { action: 'open', plate: { text } } });
      into.decisions.push(decision);
      await store.frames.write(decision.eventId, Buffer.alloc(512, into.decisions.length));
      clock.advance(60_000);
    }
  }
}

/** The store's database opened as someone with the file would: no store, no lock, no triggers skipped. */
export function tamper(dir: string, change: (db: BetterSqlite3.Database) => void): void {
  const db = new BetterSqlite3(join(dir, DATABASE_FILE));
  try {
    change(db);
  } finally {
    db.close();
  }
}

interface ChainRow {
  event_id: string;
  boot_id: string;
  seq: number;
  lane_id: string;
  type: string;
  ts: number;
  payload: string;
  crop: Buffer | null;
  prev_hash: string | null;
}

/**
 * What a forger who knows the chain's rules (but not the gate key) does after changing an event:
 * re-hashes it and every later event of its lane, and moves the lane's head, so that every link
 * holds again. Only the signed checkpoints can tell.
 */
export function rechain(db: BetterSqlite3.Database, laneId: string, fromSeq: number): void {
  const rows = db
    .prepare<[string, number], ChainRow>(
      'SELECT event_id, boot_id, seq, lane_id, type, ts, payload, crop, prev_hash FROM events WHERE lane_id = ? AND seq >= ? ORDER BY seq',
    )
    .all(laneId, fromSeq);
  const update = db.prepare(
    'UPDATE events SET payload = ?, payload_hash = ?, crop_hash = ?, prev_hash = ?, chain_hash = ? WHERE event_id = ?',
  );
  let prev = rows[0]?.prev_hash ?? null;
  for (const row of rows) {
    const envelope = {
      eventId: row.event_id,
      bootId: row.boot_id,
      seq: row.seq,
      laneId: row.lane_id,
      type: row.type,
      ts: row.ts,
    };
    const payload = canonicalJson(JSON.parse(row.payload));
    const fields = chainFieldsFor(envelope, payload, row.crop, prev);
    update.run(payload, fields.payloadHash, fields.cropHash, fields.prevHash, fields.chainHash, row.event_id);
    prev = fields.chainHash;
  }
  db.prepare('UPDATE lane_seq SET head_hash = ? WHERE lane_id = ?').run(prev, laneId);
}
