import { generateKeyPairSync } from 'node:crypto';
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/evidence/chain.js';
import { signPrunedRange } from '../../src/evidence/checkpoint.js';
import { gatePublicKeyFromText, loadOrCreateGateKey, readGatePublicKey } from '../../src/evidence/gate-key.js';
import { publicKeyText } from '../../src/core/signing-key.js';
import { auditChain, ChainAuditError, describeAuditFault, type AuditOptions } from '../../src/store/chain-audit.js';
import { ChainPruning } from '../../src/store/chain-pruning.js';
import { openDatabaseReadOnly } from '../../src/store/database.js';
import { Retention } from '../../src/store/retention.js';
import { DATABASE_FILE } from '../../src/store/store.js';
import { chainGate, recordVehicles, rechain, tamper, type ChainGate } from '../helpers/chain-gate.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

const DAY = 86_400_000;

/** `smartgate verify`'s audit of a closed store, with the data directory's own key unless told. */
function audit(dir: string, options: Partial<AuditOptions> = {}) {
  const db = openDatabaseReadOnly(join(dir, DATABASE_FILE));
  try {
    const publicKey = 'publicKey' in options ? options.publicKey! : readGatePublicKey(dir);
    return auditChain(db, { dataDir: dir, ...options, publicKey });
  } finally {
    db.close();
  }
}

function faultOf(dir: string, options: Partial<AuditOptions> = {}) {
  const report = audit(dir, options);
  expect(report.ok).toBe(false);
  return { ...report.fault!, message: describeAuditFault(report.fault!) };
}

const eventAt = (event: { eventId: string; laneId: string; seq: number; type: string }) => ({
  kind: 'event',
  eventId: event.eventId,
  laneId: event.laneId,
  seq: event.seq,
  type: event.type,
});

describe('the chain audit (smartgate verify)', () => {
  const temp = useTempDirs();

  it('passes a gate as the daemon left it, counting what it checked', async () => {
    const { dir } = await chainGate(temp);
    expect(audit(dir)).toEqual({
      ok: true,
      fault: null,
      warnings: [],
      counts: {
        events: 20, // 2 lanes × 3 vehicles × (read, decision, evidence.frame), 2 checkpoints
        lanes: 3,
        checkpoints: 2,
        frames: 6,
        crops: 6,
        prunedEvents: 0,
        prunedCrops: 0,
        prunedFrames: 0,
        unchainedEvents: 0,
        unchainedFrames: 0,
      },
    });
  });

  it('names an event whose payload was rewritten in SQLite', async () => {
    const { dir, reads } = await chainGate(temp);
    const target = reads[2]!;
    tamper(dir, (db) =>
      db
        .prepare(`UPDATE events SET payload = json_set(payload, '$.text', '29C99999') WHERE event_id = ?`)
        .run(target.eventId),
    );
    expect(faultOf(dir)).toMatchObject({
      ...eventAt(target),
      problem: expect.stringMatching(/^its payload does not match its payload hash/),
      message: expect.stringContaining(`event ${target.eventId} (lane entry-1, seq 4, plate.read)`),
    });
  });

  it('names an event whose plate crop was swapped', async () => {
    const { dir, reads } = await chainGate(temp);
    const target = reads[3]!;
    tamper(dir, (db) =>
      db.prepare('UPDATE events SET crop = ? WHERE event_id = ?').run(Buffer.alloc(64, 0xee), target.eventId),
    );
    expect(faultOf(dir)).toMatchObject({
      ...eventAt(target),
      problem: expect.stringMatching(/^its plate crop does not match the crop hash/),
    });
  });

  it('names a frame file that was overwritten', async () => {
    const { dir, decisions } = await chainGate(temp);
    const target = decisions[4]!;
    const path = `frames/2026-01-01/${target.eventId}.jpg`;
    writeFileSync(join(dir, path), Buffer.alloc(512, 0x55));
    expect(faultOf(dir)).toMatchObject({
      kind: 'file',
      path,
      eventId: target.eventId,
      problem: expect.stringMatching(/^its bytes do not match the hash recorded/),
    });
  });

  it('names a frame file that is missing, and one whose row was re-hashed to fit a new file', async () => {
    const { dir, decisions } = await chainGate(temp);
    const [missing, replaced] = [decisions[0]!, decisions[1]!];
    unlinkSync(join(dir, `frames/2026-01-01/${missing.eventId}.jpg`));
    expect(faultOf(dir)).toMatchObject({
      kind: 'file',
      eventId: missing.eventId,
      problem: expect.stringMatching(/missing/),
    });

    tamper(dir, (db) => {
      // As retention would, once central has the event.
      db.prepare('UPDATE outbox SET delivered_at = 1 WHERE event_id = ?').run(missing.eventId);
      db.prepare('DELETE FROM frames WHERE event_id = ?').run(missing.eventId);
    });
    const other = Buffer.alloc(512, 0x66);
    writeFileSync(join(dir, `frames/2026-01-01/${replaced.eventId}.jpg`), other);
    tamper(dir, (db) =>
      db.prepare('UPDATE frames SET sha256 = ? WHERE event_id = ?').run(sha256Hex(other), replaced.eventId),
    );
    expect(faultOf(dir)).toMatchObject({
      kind: 'file',
      eventId: replaced.eventId,
      problem: expect.stringMatching(/^its frames row does not match its evidence\.frame event/),
    });
  });

  it('catches a crop or frame deleted from an event central has not received: retention never does that', async () => {
    const { dir, reads, decisions } = await chainGate(temp);
    tamper(dir, (db) => db.prepare('UPDATE events SET crop = NULL WHERE event_id = ?').run(reads[1]!.eventId));
    expect(faultOf(dir)).toMatchObject({
      ...eventAt(reads[1]!),
      problem: 'its plate crop is gone, but retention never drops the crop of an event central has not received',
    });
    // Delivered, it still needs retention's signed record of dropping it.
    tamper(dir, (db) => db.prepare('UPDATE outbox SET delivered_at = 1 WHERE event_id = ?').run(reads[1]!.eventId));
    expect(faultOf(dir)).toMatchObject({
      ...eventAt(reads[1]!),
      problem: 'its plate crop is gone, and retention recorded no such deletion: it was removed by other means',
    });
    tamper(dir, (db) =>
      db
        .prepare(`INSERT INTO images_pruned (event_id, kind, sha256, key_id, signature) VALUES (?, 'crop', ?, ?, ?)`)
        .run(
          reads[1]!.eventId,
          reads[1]!.chain!.cropHash,
          readGatePublicKey(dir).keyId,
          Buffer.alloc(64).toString('base64'),
        ),
    );
    expect(faultOf(dir)).toMatchObject({
      ...eventAt(reads[1]!),
      problem: "its plate crop is gone; retention's record of dropping it is not signed by the gate key: it was forged",
    });
    tamper(dir, (db) => {
      db.prepare('DELETE FROM images_pruned').run();
      new ChainPruning(db, loadOrCreateGateKey(dir).key).recordImage({
        eventId: reads[1]!.eventId,
        kind: 'crop',
        sha256: reads[1]!.chain!.cropHash,
      });
    });
    expect(audit(dir)).toMatchObject({ ok: true, counts: { crops: 5, prunedCrops: 1 } });

    const path = `frames/2026-01-01/${decisions[1]!.eventId}.jpg`;
    unlinkSync(join(dir, path));
    tamper(dir, (db) => db.prepare('DELETE FROM frames WHERE event_id = ?').run(decisions[1]!.eventId));
    expect(faultOf(dir)).toMatchObject({
      kind: 'event',
      laneId: 'exit-1',
      seq: 3,
      type: 'evidence.frame',
      problem: `the frame it records (${path}) is gone, but retention never deletes the frame of an event central has not received (${decisions[1]!.eventId})`,
    });
    tamper(dir, (db) => db.prepare('UPDATE outbox SET delivered_at = 1 WHERE event_id = ?').run(decisions[1]!.eventId));
    expect(faultOf(dir)).toMatchObject({
      type: 'evidence.frame',
      problem: 'the frame it records is gone, and retention recorded no such deletion: it was removed by other means',
    });
  });

  it('passes a frame whose dropping retention recorded but whose row it did not get to (a run interrupted)', async () => {
    const { dir, decisions } = await chainGate(temp);
    const target = decisions[0]!;
    const path = `frames/2026-01-01/${target.eventId}.jpg`;
    tamper(dir, (db) => {
      const { sha256 } = db.prepare('SELECT sha256 FROM frames WHERE event_id = ?').get(target.eventId) as {
        sha256: string;
      };
      new ChainPruning(db, loadOrCreateGateKey(dir).key).recordImage({
        eventId: target.eventId,
        kind: 'frame',
        sha256,
      });
    });
    unlinkSync(join(dir, path));
    const report = audit(dir);
    expect(report).toMatchObject({ ok: true, counts: { prunedFrames: 1, frames: 5 } });
    expect(report.warnings).toContainEqual(
      expect.stringContaining(`frame file ${path} (of event ${target.eventId}) was dropped by retention`),
    );
  });

  it('names the break where an event was deleted from the middle of a lane', async () => {
    const { dir, reads, decisions } = await chainGate(temp);
    const gone = reads[2]!; // entry-1 seq 4; its decision (seq 5) follows
    tamper(dir, (db) => {
      db.prepare('DELETE FROM outbox WHERE event_id = ?').run(gone.eventId);
      db.prepare('DELETE FROM events WHERE event_id = ?').run(gone.eventId);
    });
    expect(faultOf(dir)).toMatchObject({
      ...eventAt(decisions[2]!),
      problem: 'seq 4 is missing, with no signed record of retention deleting them (just before it)',
    });
  });

  it('catches a deletion passed off as retention: a pruned range with a bad signature, or signed by another key', async () => {
    const { dir, reads } = await chainGate(temp);
    const gone = reads[2]!;
    const range = { laneId: 'entry-1', fromSeq: gone.seq, toSeq: gone.seq, lastHash: gone.chain!.chainHash };
    const key = readGatePublicKey(dir);
    tamper(dir, (db) => {
      db.prepare('DELETE FROM outbox WHERE event_id = ?').run(gone.eventId);
      db.prepare('DELETE FROM events WHERE event_id = ?').run(gone.eventId);
      db.prepare(
        `INSERT INTO chain_pruned (lane_id, from_seq, to_seq, last_hash, key_id, signature) VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(
        range.laneId,
        range.fromSeq,
        range.toSeq,
        range.lastHash,
        key.keyId,
        Buffer.alloc(64, 1).toString('base64'),
      );
    });
    expect(faultOf(dir)).toMatchObject({
      kind: 'pruned',
      laneId: 'entry-1',
      fromSeq: 4,
      toSeq: 4,
      problem: expect.stringMatching(/^its signature does not verify with the gate key/),
    });

    const forger = generateKeyPairSync('ed25519');
    const forgerId = gatePublicKeyFromText(publicKeyText(forger.publicKey)).keyId;
    tamper(dir, (db) =>
      db
        .prepare('UPDATE chain_pruned SET key_id = ?, signature = ? WHERE lane_id = ?')
        .run(forgerId, signPrunedRange(range, forger.privateKey), 'entry-1'),
    );
    expect(faultOf(dir)).toMatchObject({
      kind: 'pruned',
      problem: `it was signed by key ${forgerId}, not by the gate key ${key.keyId}`,
    });
  });

  it('still catches a forged pruned range after retention deleted the events next to it (it is not signed over)', async () => {
    const gate = await chainGate(temp);
    tamper(gate.dir, (db) => {
      const seq4 = db.prepare(`SELECT chain_hash FROM events WHERE lane_id = 'entry-1' AND seq = 4`).get() as {
        chain_hash: string;
      };
      db.exec(`DELETE FROM outbox WHERE event_id IN (SELECT event_id FROM events WHERE lane_id = 'entry-1' AND seq IN (3, 4));
               DELETE FROM events WHERE lane_id = 'entry-1' AND seq IN (3, 4)`);
      db.prepare(`INSERT INTO chain_pruned VALUES ('entry-1', 3, 4, ?, 'forged', 'AAAA')`).run(seq4.chain_hash);
    });
    // Retention deletes what is old: entry-1's seqs 1, 2 among them, just before the forged range.
    const store = temp.open(gate.dir, {}, gate.clock);
    store.events.markDelivered(store.events.pending(100).map((e) => e.outboxId));
    gate.clock.advance(91 * DAY);
    await store.retention.run();
    const ranges = store.db.prepare(`SELECT from_seq, to_seq FROM chain_pruned WHERE lane_id = 'entry-1'`).all();
    store.close();
    expect(ranges).toEqual([
      { from_seq: 1, to_seq: 2 },
      { from_seq: 3, to_seq: 4 },
      { from_seq: 5, to_seq: 9 },
    ]);
    expect(faultOf(gate.dir)).toMatchObject({ kind: 'pruned', laneId: 'entry-1', fromSeq: 3, toSeq: 4 });
  });

  it('catches a lane whose head was changed in lane_seq', async () => {
    const { dir } = await chainGate(temp);
    tamper(dir, (db) => db.prepare(`UPDATE lane_seq SET head_hash = ? WHERE lane_id = 'exit-1'`).run('0'.repeat(64)));
    expect(faultOf(dir)).toMatchObject({
      kind: 'lane',
      laneId: 'exit-1',
      problem: expect.stringMatching(
        /^lane_seq\.head_hash \(000000000000…\) is not the chain hash of the lane's last link, seq 9/,
      ),
    });
  });

  it('catches a checkpoint whose signature was altered, even with its lane re-hashed to fit', async () => {
    const { dir, checkpoints } = await chainGate(temp);
    const target = checkpoints[1]!;
    const forged = Buffer.alloc(64, 7).toString('base64');
    tamper(dir, (db) =>
      db
        .prepare(`UPDATE events SET payload = json_set(payload, '$.signature', ?) WHERE event_id = ?`)
        .run(forged, target.eventId),
    );
    expect(faultOf(dir)).toMatchObject({
      ...eventAt(target),
      problem: expect.stringMatching(/^its payload does not match/),
    });

    tamper(dir, (db) => rechain(db, 'gate', target.seq));
    expect(faultOf(dir)).toMatchObject({
      ...eventAt(target),
      problem: 'its signature does not verify with the gate key: the checkpoint was altered',
    });
  });

  it('catches a signed checkpoint copied in as a new event: its own signed head is not the event before it', async () => {
    const { dir, clock, checkpoints } = await chainGate(temp);
    const store = temp.open(dir, {}, clock);
    const replayed = store.events.append({
      type: 'chain.checkpoint',
      laneId: 'gate',
      payload: checkpoints[0]!.payload,
    });
    store.close();
    expect(faultOf(dir)).toMatchObject({
      ...eventAt(replayed),
      problem: expect.stringMatching(/^its signed head of lane gate is not the event before it/),
    });
  });

  it("catches an event rewritten with its lane re-hashed to fit, by the checkpoint's signed head", async () => {
    const { dir, reads, checkpoints } = await chainGate(temp);
    const target = reads[1]!; // exit-1 seq 1
    tamper(dir, (db) => {
      db.prepare(`UPDATE events SET payload = json_set(payload, '$.text', '29C99999') WHERE event_id = ?`).run(
        target.eventId,
      );
      rechain(db, 'exit-1', target.seq);
    });
    expect(faultOf(dir)).toMatchObject({
      ...eventAt(checkpoints[1]!),
      problem: expect.stringMatching(
        /^it signed lane exit-1's head at seq 9 \(.+\), but event \w+ there has chain hash .+: lane exit-1 was rewritten up to seq 9$/,
      ),
    });
  });

  it("catches a lane cut short below a checkpoint's signed head", async () => {
    const { dir, checkpoints } = await chainGate(temp);
    tamper(dir, (db) => {
      const last = db.prepare(`SELECT event_id FROM events WHERE lane_id = 'entry-1' AND seq = 9`).get() as {
        event_id: string;
      };
      const head = db.prepare(`SELECT chain_hash FROM events WHERE lane_id = 'entry-1' AND seq = 8`).get() as {
        chain_hash: string;
      };
      db.prepare('DELETE FROM outbox WHERE event_id = ?').run(last.event_id);
      db.prepare('DELETE FROM events WHERE event_id = ?').run(last.event_id);
      db.prepare(`UPDATE lane_seq SET last_seq = 8, head_hash = ? WHERE lane_id = 'entry-1'`).run(head.chain_hash);
    });
    expect(faultOf(dir)).toMatchObject({
      ...eventAt(checkpoints[1]!),
      problem: expect.stringMatching(/but the lane now ends at seq 8: its newest events were removed$/),
    });
  });

  it("catches a lane's chain start moved up to pass chained events off as an older version's", async () => {
    const { dir, reads } = await chainGate(temp);
    // Seq 3 of entry-1 is the evidence.frame event of its first decision; 1 and 2 go "unchained".
    tamper(dir, (db) => db.prepare(`UPDATE lane_seq SET chain_from = 3 WHERE lane_id = 'entry-1'`).run());
    expect(faultOf(dir)).toMatchObject({
      ...eventAt(reads[0]!),
      problem: expect.stringMatching(/^it carries chain hashes, but lies before its lane's chain start/),
    });
    tamper(dir, (db) =>
      db
        .prepare(
          `UPDATE events SET payload_hash = NULL, crop_hash = NULL, prev_hash = NULL, chain_hash = NULL WHERE lane_id = 'entry-1' AND seq < 3`,
        )
        .run(),
    );
    expect(faultOf(dir)).toMatchObject({
      kind: 'event',
      laneId: 'entry-1',
      seq: 3,
      type: 'evidence.frame',
      problem: expect.stringMatching(
        /^its link to the previous event is broken: .* its lane's chain begins at seq 3, so it should link to nothing$/,
      ),
    });
  });

  it('catches checkpoints passed off as events of a version before the chain', async () => {
    const { dir, checkpoints } = await chainGate(temp);
    tamper(dir, (db) => {
      db.prepare(
        `UPDATE events SET payload_hash = NULL, crop_hash = NULL, prev_hash = NULL, chain_hash = NULL WHERE lane_id = 'gate'`,
      ).run();
      db.prepare(`UPDATE lane_seq SET chain_from = 3, head_hash = NULL WHERE lane_id = 'gate'`).run();
    });
    expect(faultOf(dir)).toMatchObject({
      ...eventAt(checkpoints[0]!),
      problem: expect.stringMatching(
        /^it is of a type that came with the chain \(chain\.checkpoint\), but lies before/,
      ),
    });
  });

  describe('retention', () => {
    it('passes after retention deleted old events, checking the signed ranges in their place', async () => {
      const gate = await chainGate(temp);
      const store = temp.open(gate.dir, {}, gate.clock);
      store.events.markDelivered(store.events.pending(100).map((e) => e.outboxId));
      gate.clock.advance(91 * DAY);
      const later: Pick<ChainGate, 'reads' | 'decisions'> = { reads: [], decisions: [] };
      await recordVehicles(store, gate.clock, later, 2);
      const result = await store.retention.run();
      expect(result.byAge).toEqual({ frames: 6, crops: 0, events: 20 });
      store.checkpoints!.record('shutdown');
      store.close();

      expect(audit(gate.dir)).toMatchObject({
        ok: true,
        counts: { events: 13, lanes: 3, checkpoints: 1, frames: 4, crops: 4, prunedEvents: 20 },
      });
    });

    it('passes when quota took frames, crops and whole lanes, and their chains go on after', async () => {
      const gate = await chainGate(temp);
      const store = temp.open(gate.dir, {}, gate.clock);
      store.events.markDelivered(store.events.pending(100).map((e) => e.outboxId));
      const retention = (quotaBytes: number) =>
        new Retention(
          store.db,
          gate.dir,
          gate.clock,
          { retentionDays: 90, quotaBytes },
          new ChainPruning(store.db, loadOrCreateGateKey(gate.dir).key),
        );
      // A byte over: the oldest delivered frame goes; its evidence.frame event stays.
      const usage = (await retention(1024 ** 4).run()).usage;
      expect((await retention(usage.totalBytes - 1).run()).byQuota.frames).toBeGreaterThan(0);
      // A crop dropped as quota drops one: with its signed record.
      store.db.transaction(() => {
        const { crop_hash } = store.db
          .prepare('UPDATE events SET crop = NULL WHERE event_id = ? RETURNING crop_hash')
          .get(gate.reads[5]!.eventId) as { crop_hash: string };
        new ChainPruning(store.db, loadOrCreateGateKey(gate.dir).key).recordImage({
          eventId: gate.reads[5]!.eventId,
          kind: 'crop',
          sha256: crop_hash,
        });
      })();
      store.close();
      expect(audit(gate.dir)).toMatchObject({ ok: true, counts: { prunedCrops: 1, prunedFrames: expect.any(Number) } });
      expect(audit(gate.dir).counts.prunedFrames).toBeGreaterThan(0);

      // Everything delivered goes: every lane ends in a pruned range, then goes on from it.
      const again = temp.open(gate.dir, {}, gate.clock);
      await new Retention(
        again.db,
        gate.dir,
        gate.clock,
        { retentionDays: 90, quotaBytes: 1 },
        new ChainPruning(again.db, loadOrCreateGateKey(gate.dir).key),
      ).run();
      expect(again.db.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 0 });
      again.close();
      expect(audit(gate.dir)).toMatchObject({ ok: true, counts: { events: 0, prunedEvents: 20 } });

      const last = temp.open(gate.dir, {}, gate.clock);
      await recordVehicles(last, gate.clock, { reads: [], decisions: [] }, 1);
      last.checkpoints!.record('shutdown');
      last.close();
      expect(audit(gate.dir)).toMatchObject({ ok: true, counts: { events: 7, checkpoints: 1, prunedEvents: 20 } });
    });
  });

  describe('--from', () => {
    it('starts at an event, taking its link as given, and leaves out what came before', async () => {
      const { dir, reads } = await chainGate(temp);
      tamper(dir, (db) => {
        // Before the start: not checked.
        db.prepare(`UPDATE events SET payload = json_set(payload, '$.text', 'X') WHERE event_id = ?`).run(
          reads[0]!.eventId,
        );
      });
      expect(audit(dir).ok).toBe(false);
      const from = reads[2]!; // entry-1 seq 4, the second vehicle
      expect(audit(dir, { from: { eventId: from.eventId } })).toMatchObject({
        ok: true,
        // entry-1 from seq 4, exit-1 from its read at or after that time (seq 4), the shutdown checkpoint.
        counts: { events: 13, lanes: 3, checkpoints: 1, frames: 4, crops: 4 },
      });
    });

    it('starts at the first event of each lane at or after a UTC date', async () => {
      const { dir } = await chainGate(temp);
      expect(audit(dir, { from: { since: Date.UTC(2026, 0, 1) } }).counts.events).toBe(20);
      expect(audit(dir, { from: { since: Date.UTC(2026, 0, 2) } })).toMatchObject({
        ok: true,
        counts: { events: 0, lanes: 0 },
      });
    });

    it('refuses an event the store does not have', async () => {
      const { dir } = await chainGate(temp);
      expect(() => audit(dir, { from: { eventId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' } })).toThrow(ChainAuditError);
    });
  });

  describe('keys and warnings', () => {
    it("fails the checkpoints against another gate's key, and without any key", async () => {
      const { dir, checkpoints } = await chainGate(temp);
      const other = gatePublicKeyFromText(publicKeyText(generateKeyPairSync('ed25519').publicKey));
      expect(faultOf(dir, { publicKey: other })).toMatchObject({
        ...eventAt(checkpoints[0]!),
        problem: `it names key ${readGatePublicKey(dir).keyId}, not the gate key ${other.keyId}`,
      });
      expect(faultOf(dir, { publicKey: null })).toMatchObject({
        ...eventAt(checkpoints[0]!),
        problem: expect.stringMatching(/no gate public key/),
      });
    });

    it('warns of a frame with no evidence.frame event (a crash between file and event), and counts older frames', async () => {
      const { dir, reads } = await chainGate(temp);
      const jpeg = Buffer.alloc(100, 3);
      const crashed = `frames/2026-01-01/${reads[0]!.eventId}.jpg`;
      writeFileSync(join(dir, crashed), jpeg);
      tamper(dir, (db) => {
        const insert = db.prepare(
          'INSERT INTO frames (event_id, path, bytes, created_at, sha256) VALUES (?, ?, ?, 0, ?)',
        );
        insert.run(reads[0]!.eventId, crashed, jpeg.length, sha256Hex(jpeg));
        insert.run(reads[1]!.eventId, `frames/2026-01-01/${reads[1]!.eventId}.jpg`, 10, null); // an older version's
      });
      const report = audit(dir);
      expect(report).toMatchObject({ ok: true, counts: { frames: 6, unchainedFrames: 1 } });
      expect(report.warnings).toEqual([
        expect.stringContaining(`frame file ${crashed} (of event ${reads[0]!.eventId}) has no evidence.frame event`),
      ]);
    });
  });

  it('counts the events of a version before the chain as unchained', async () => {
    const dir = temp.make();
    const store = temp.open(dir);
    store.events.append({ type: 'plate.read', laneId: 'entry-1', payload: { text: 'A' } });
    store.close();
    // As migration 7 left a lane that had events: no hashes, the chain starting after them.
    tamper(dir, (db) => {
      db.prepare('UPDATE events SET payload_hash = NULL, crop_hash = NULL, prev_hash = NULL, chain_hash = NULL').run();
      db.prepare(`UPDATE lane_seq SET chain_from = last_seq + 1, head_hash = NULL`).run();
    });
    const again = temp.open(dir);
    again.events.append({ type: 'plate.read', laneId: 'entry-1', payload: { text: 'B' } });
    again.close();
    expect(audit(dir)).toMatchObject({
      ok: true,
      counts: { events: 1, unchainedEvents: 1, lanes: 1 },
      warnings: [expect.stringMatching(/^no signed checkpoint among the events checked/)],
    });
    rmSync(join(dir, 'gate-key.pub'));
    expect(audit(dir, { publicKey: null }).ok).toBe(true); // nothing signed to check
  });
});
