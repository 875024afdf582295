import type { GateKey } from '../evidence/gate-key.js';
import {
  prunedRangeSignatureValid,
  signPrunedImage,
  signPrunedRange,
  type PrunedImage,
  type PrunedRange,
} from '../evidence/checkpoint.js';
import type { Database } from './database.js';
import { prunedRangeOf, type PrunedRow } from './chain-columns.js';

/** An event retention deleted, as its chain needs to remember it. */
export interface DeletedLink {
  lane_id: string;
  seq: number;
  chain_hash: string | null;
}

/**
 * Keeps a lane's chain verifiable after retention deleted some of its events: the deleted seqs
 * are kept as signed ranges (`chain_pruned`), each with the chain hash of its last event, which
 * the next kept event links to. Runs in the transaction of the deletion; adjacent ranges are
 * merged, so a lane pruned from its oldest end keeps one row.
 */
export class ChainPruning {
  private readonly sql;

  constructor(
    db: Database,
    private readonly key: GateKey | null,
  ) {
    this.sql = {
      endingAt: db.prepare<[string, number], PrunedRow>(
        'SELECT lane_id, from_seq, to_seq, last_hash, key_id, signature FROM chain_pruned WHERE lane_id = ? AND to_seq = ?',
      ),
      startingAt: db.prepare<[string, number], PrunedRow>(
        'SELECT lane_id, from_seq, to_seq, last_hash, key_id, signature FROM chain_pruned WHERE lane_id = ? AND from_seq = ?',
      ),
      remove: db.prepare<[string, number]>('DELETE FROM chain_pruned WHERE lane_id = ? AND from_seq = ?'),
      insertImage: db.prepare(
        `INSERT OR REPLACE INTO images_pruned (event_id, kind, sha256, key_id, signature)
         VALUES (@eventId, @kind, @sha256, @keyId, @signature)`,
      ),
      insert: db.prepare(
        `INSERT INTO chain_pruned (lane_id, from_seq, to_seq, last_hash, key_id, signature)
         VALUES (@laneId, @fromSeq, @toSeq, @lastHash, @keyId, @signature)`,
      ),
    };
  }

  /** Whether chained events may be deleted: only a process holding the gate key can sign their ranges. */
  get canPrune(): boolean {
    return this.key !== null;
  }

  /**
   * Records the chained ones among `deleted` (events of older versions have no chain to keep);
   * returns the ranges as they now stand, merged with their neighbours.
   */
  record(deleted: readonly DeletedLink[]): PrunedRange[] {
    const chained = deleted.filter((d): d is DeletedLink & { chain_hash: string } => d.chain_hash !== null);
    if (chained.length === 0) return [];
    const key = this.key;
    if (!key) throw new Error('deleting chained events needs the gate key, to sign what was deleted');
    return consecutiveRuns(chained).map((run) => this.merge(run, key));
  }

  /**
   * Records a crop or frame file dropped from a kept event, with the hash the chain has for it;
   * one without a hash (recorded before the chain) needs no record.
   */
  recordImage(image: Omit<PrunedImage, 'sha256'> & { sha256: string | null }): void {
    if (image.sha256 === null) return;
    if (!this.key) throw new Error('dropping chained images needs the gate key, to sign what was dropped');
    const signed: PrunedImage = { eventId: image.eventId, kind: image.kind, sha256: image.sha256 };
    this.sql.insertImage.run({
      ...signed,
      keyId: this.key.keyId,
      signature: signPrunedImage(signed, this.key.privateKey),
    });
  }

  private merge(run: PrunedRange, key: GateKey): PrunedRange {
    // Only a neighbour the gate itself signed is merged: signing over a range someone inserted
    // by hand would pass their deletion off as retention's. Such a one is left for verify to find.
    const signed = (row: PrunedRow | undefined) => (row && signatureValid(row, key) ? row : undefined);
    const before = signed(this.sql.endingAt.get(run.laneId, run.fromSeq - 1));
    const after = signed(this.sql.startingAt.get(run.laneId, run.toSeq + 1));
    if (before) this.sql.remove.run(before.lane_id, before.from_seq);
    if (after) this.sql.remove.run(after.lane_id, after.from_seq);
    const merged: PrunedRange = {
      laneId: run.laneId,
      fromSeq: before?.from_seq ?? run.fromSeq,
      toSeq: after?.to_seq ?? run.toSeq,
      lastHash: after?.last_hash ?? run.lastHash,
    };
    this.sql.insert.run({ ...merged, keyId: key.keyId, signature: signPrunedRange(merged, key.privateKey) });
    return merged;
  }
}

function signatureValid(row: PrunedRow, key: GateKey): boolean {
  return prunedRangeSignatureValid(prunedRangeOf(row), row.signature, key.publicKey);
}

/** Groups deleted links into runs of consecutive seqs per lane. */
export function consecutiveRuns(links: readonly (DeletedLink & { chain_hash: string })[]): PrunedRange[] {
  const sorted = [...links].sort((a, b) => (a.lane_id < b.lane_id ? -1 : a.lane_id > b.lane_id ? 1 : a.seq - b.seq));
  const runs: PrunedRange[] = [];
  for (const link of sorted) {
    const last = runs.at(-1);
    if (last && last.laneId === link.lane_id && last.toSeq + 1 === link.seq) {
      last.toSeq = link.seq;
      last.lastHash = link.chain_hash;
    } else runs.push({ laneId: link.lane_id, fromSeq: link.seq, toSeq: link.seq, lastHash: link.chain_hash });
  }
  return runs;
}
