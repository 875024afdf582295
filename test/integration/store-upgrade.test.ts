import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { loadOrCreateGateKey } from '../../src/evidence/gate-key.js';
import { auditChain } from '../../src/store/chain-audit.js';
import { MIGRATIONS, migrate, schemaVersion } from '../../src/store/migrations.js';
import { DATABASE_FILE } from '../../src/store/store.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

/**
 * An upgrade from every released schema version with data in it: the gate's store is written by
 * the migrations up to version `v` and filled as a gate of that version fills it, then opened by
 * today's store, which migrates it. Nothing may be lost, the lanes go on where they were, and
 * `smartgate verify` passes (the old events unchained, the new ones chained).
 */
const NEWEST = MIGRATIONS.at(-1)!.version;
const T0 = Date.UTC(2026, 0, 5);

/** Rows as a gate at schema `v` writes them, through SQL of that version's own tables. */
function fillAsVersion(db: BetterSqlite3.Database, v: number, dataDir: string): void {
  const event = db.prepare(
    `INSERT INTO events (event_id, boot_id, seq, site_id, lane_id, type, ts, mono_at, payload, crop)
     VALUES (?, 'OLDBOOT', ?, 'mlt-kth', ?, ?, ?, 12.5, ?, ?)`,
  );
  const outbox = db.prepare('INSERT INTO outbox (event_id, delivered_at) VALUES (?, ?)');
  const lanes: [string, string, string, Buffer | null][] = [
    ['01KA0000000000000000000001', 'entry-1', 'plate.read', Buffer.from('old crop')],
    ['01KA0000000000000000000002', 'entry-1', 'decision', null],
    ['01KA0000000000000000000003', 'gate', 'auth', null],
  ];
  const seqs = new Map<string, number>();
  for (const [id, lane, type, crop] of lanes) {
    const seq = (seqs.get(lane) ?? 40) + 1;
    seqs.set(lane, seq);
    event.run(id, seq, lane, type, T0 + seq, JSON.stringify({ plate: '29C12345', v }), crop);
    outbox.run(id, id.endsWith('1') ? T0 + 100 : null); // the first delivered, the others waiting
  }
  for (const [lane, seq] of seqs) db.prepare('INSERT INTO lane_seq (lane_id, last_seq) VALUES (?, ?)').run(lane, seq);
  const framePath = 'frames/2026-01-05/01KA0000000000000000000002.jpg';
  mkdirSync(join(dataDir, 'frames/2026-01-05'), { recursive: true });
  writeFileSync(join(dataDir, framePath), 'old frame');
  db.prepare('INSERT INTO frames (event_id, path, bytes, created_at) VALUES (?, ?, 9, ?)').run(
    '01KA0000000000000000000002',
    framePath,
    T0,
  );
  const entries = [{ key: '29C12345', reason: 'permit' }, { key: '云A12345' }];
  if (v < 4)
    db.prepare("INSERT INTO lists (name, version, received_at, entries) VALUES ('allow', 7, ?, ?)").run(
      T0,
      JSON.stringify(entries),
    );
  else {
    db.prepare("INSERT INTO lists (name, version, received_at, entry_count) VALUES ('allow', 7, ?, 2)").run(T0);
    for (const e of entries)
      db.prepare("INSERT INTO list_entries (list, key, entry) VALUES ('allow', ?, ?)").run(e.key, JSON.stringify(e));
  }
  if (v >= 2) db.prepare("INSERT INTO command_ids (id, received_at) VALUES ('cmd-1', ?)").run(T0);
  if (v >= 3)
    db.prepare(
      "INSERT INTO users (username, role, password_hash, created_at, updated_at) VALUES ('an', 'operator', 'scrypt$x', ?, ?)",
    ).run(T0, T0);
  if (v >= 5)
    db.prepare(
      `INSERT INTO yard_visits (visit_id, yard_id, plate, entered_at, entry_lane) VALUES ('visit-1', 'yard-a', '29C12345', ?, 'entry-1')`,
    ).run(T0);
  if (v >= 6) {
    db.prepare(
      `INSERT INTO postcheck_passages (passage_id, lane_id, plate, passed_at, day, status, flags)
       VALUES ('pass-1', 'entry-1', '29C12345', ?, '2026-01-05', 'undeclared', '[]')`,
    ).run(T0);
    db.prepare("INSERT INTO site_meta (key, value) VALUES ('timeZone', 'Asia/Ho_Chi_Minh')").run();
  }
}

describe('upgrading a gate store', () => {
  const temp = useTempDirs();

  it.each(MIGRATIONS.filter((m) => m.version < 7).map((m) => m.version))(
    'from schema %i with data in it: nothing lost, the lanes go on, and verify passes',
    (v) => {
      const dir = temp.make();
      const old = new BetterSqlite3(join(dir, DATABASE_FILE));
      old.pragma('foreign_keys = ON');
      migrate(old, new FakeClock(), MIGRATIONS.slice(0, v));
      fillAsVersion(old, v, dir);
      old.close();

      const clock = new FakeClock(T0 + 86_400_000);
      const store = temp.open(dir, {}, clock);
      expect(schemaVersion(store.db)).toBe(NEWEST);
      const count = (table: string) =>
        (store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
      expect(count('events')).toBe(3);
      expect(store.events.pendingCount()).toBe(2);
      expect(store.events.getCrop('01KA0000000000000000000001')).toEqual(Buffer.from('old crop'));
      expect(store.events.get('01KA0000000000000000000002')!.event).toMatchObject({
        seq: 42,
        payload: { plate: '29C12345', v },
        chain: null,
      });
      expect(store.frames.get('01KA0000000000000000000002')).toMatchObject({ bytes: 9, sha256: null });
      expect(store.lists.get('allow')).toMatchObject({ version: 7 });
      expect(count('list_entries')).toBe(2);
      if (v >= 2) expect(count('command_ids')).toBe(1);
      if (v >= 3) expect(store.accounts.get('an')).toMatchObject({ role: 'operator' });
      if (v >= 5) expect(count('yard_visits')).toBe(1);
      if (v >= 6) expect(count('postcheck_passages')).toBe(1);

      // Each lane goes on after its old events, the chain starting there.
      const next = store.events.append({ type: 'plate.read', laneId: 'entry-1', payload: { plate: '29C99999' } });
      expect(next).toMatchObject({ seq: 43, chain: { prevHash: null } });
      const fresh = store.events.append({ type: 'plate.read', laneId: 'exit-1', payload: {} });
      expect(fresh).toMatchObject({ seq: 1 });
      store.checkpoints!.record('shutdown');
      store.close();

      const db = new BetterSqlite3(join(dir, DATABASE_FILE), { readonly: true });
      try {
        const report = auditChain(db, { dataDir: dir, publicKey: loadOrCreateGateKey(dir).key });
        expect(report.fault).toBeNull();
        expect(report.counts).toMatchObject({ events: 3, checkpoints: 1, unchainedEvents: 3, unchainedFrames: 1 });
      } finally {
        db.close();
      }
    },
  );
});
