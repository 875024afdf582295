import { CHAIN_VERSION, type ChainFields } from '../evidence/chain.js';
import type { PrunedRange } from '../evidence/checkpoint.js';

/** The chain's columns of an `events` row (schema 7); all NULL for an event of an older version. */
export interface ChainColumns {
  payload_hash: string | null;
  crop_hash: string | null;
  prev_hash: string | null;
  chain_hash: string | null;
}

/** An event row's chain fields; null when it was recorded before the chain. */
export function chainFieldsOf(row: ChainColumns): ChainFields | null {
  if (row.payload_hash === null || row.chain_hash === null) return null;
  return {
    v: CHAIN_VERSION,
    payloadHash: row.payload_hash,
    cropHash: row.crop_hash,
    prevHash: row.prev_hash,
    chainHash: row.chain_hash,
  };
}

/** A row of `chain_pruned` (schema 7): seqs retention deleted, signed by the gate key. */
export interface PrunedRow {
  lane_id: string;
  from_seq: number;
  to_seq: number;
  last_hash: string;
  key_id: string;
  signature: string;
}

/** The range a `chain_pruned` row records, as its signature covers it. */
export function prunedRangeOf(row: PrunedRow): PrunedRange {
  return { laneId: row.lane_id, fromSeq: row.from_seq, toSeq: row.to_seq, lastHash: row.last_hash };
}
