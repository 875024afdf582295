import { CHAIN_VERSION, type ChainFields } from '../evidence/chain.js';

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
