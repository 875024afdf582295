import type { KeyObject } from 'node:crypto';
import { isHash } from './chain.js';
import { signBody, verifyBody } from './signatures.js';

/**
 * The payload of a `chain.checkpoint` event: the head (seq and chain hash) of every lane's chain
 * at one moment, signed by the gate key. A signed head vouches for every event before it, so
 * rewriting a lane's events and re-hashing the rest of its chain is caught by the next
 * checkpoint. Recorded under the gate's own lane, on start, periodically and on every shutdown.
 */

/** `retention`: recorded after retention deleted events, naming where each lane's kept part now starts. */
export const CHECKPOINT_REASONS = ['start', 'periodic', 'shutdown', 'retention'] as const;
export type CheckpointReason = (typeof CHECKPOINT_REASONS)[number];

export interface ChainHead {
  seq: number;
  chainHash: string;
}

export interface CheckpointBody {
  reason: CheckpointReason;
  siteId: string;
  /** Id of the gate key that signed (GateKey.keyId). */
  keyId: string;
  /** When it was signed, ms since the epoch. */
  at: number;
  /** Every chained lane's head; the gate lane's is the head before this checkpoint. */
  heads: Record<string, ChainHead>;
  /**
   * With reason `retention`: the ranges of seqs retention has deleted, as they stand after this
   * run (merged with earlier ones): where each lane's kept part starts.
   */
  pruned?: PrunedRange[];
}

export interface CheckpointPayload extends CheckpointBody {
  /** Base64 Ed25519 over `smartgate-checkpoint-v1` LF the canonical JSON of the body. */
  signature: string;
}

export function signCheckpoint(body: CheckpointBody, privateKey: KeyObject): CheckpointPayload {
  return { ...body, signature: signBody('checkpoint', body, privateKey) };
}

/** Reads a checkpoint payload (from the store or the wire); null when it is not one. */
export function parseCheckpoint(payload: Record<string, unknown>): CheckpointPayload | null {
  const { reason, siteId, keyId, at, heads, signature, pruned } = payload;
  if (!CHECKPOINT_REASONS.includes(reason as CheckpointReason)) return null;
  if (typeof siteId !== 'string' || typeof keyId !== 'string' || typeof signature !== 'string') return null;
  if (typeof at !== 'number' || typeof heads !== 'object' || heads === null || Array.isArray(heads)) return null;
  for (const head of Object.values(heads as Record<string, unknown>)) {
    const { seq, chainHash } = (head ?? {}) as Partial<ChainHead>;
    if (typeof seq !== 'number' || !Number.isInteger(seq) || !isHash(chainHash)) return null;
  }
  if (pruned !== undefined && (!Array.isArray(pruned) || !pruned.every(isPrunedRange))) return null;
  return {
    reason: reason as CheckpointReason,
    siteId,
    keyId,
    at,
    heads: heads as Record<string, ChainHead>,
    ...(pruned !== undefined && { pruned }),
    signature,
  };
}

function isPrunedRange(value: unknown): value is PrunedRange {
  const r = (value ?? {}) as Partial<PrunedRange>;
  return (
    typeof r.laneId === 'string' &&
    Number.isInteger(r.fromSeq) &&
    Number.isInteger(r.toSeq) &&
    r.fromSeq! <= r.toSeq! &&
    isHash(r.lastHash)
  );
}

/** Whether the signature is the gate key's over everything else in the payload. */
export function checkpointSignatureValid(checkpoint: CheckpointPayload, publicKey: KeyObject): boolean {
  const { signature, ...body } = checkpoint;
  return verifyBody('checkpoint', body, signature, publicKey);
}

/**
 * Seqs of a lane that retention deleted (`chain_pruned`): from..to inclusive, and the chain hash
 * of the last, which the first kept event after them links to. Signed, so that deleting events
 * by hand cannot pass as retention.
 */
export interface PrunedRange {
  laneId: string;
  fromSeq: number;
  toSeq: number;
  lastHash: string;
}

export function signPrunedRange(range: PrunedRange, privateKey: KeyObject): string {
  return signBody('pruned', prunedBody(range), privateKey);
}

export function prunedRangeSignatureValid(range: PrunedRange, signature: string, publicKey: KeyObject): boolean {
  return verifyBody('pruned', prunedBody(range), signature, publicKey);
}

function prunedBody(range: PrunedRange): PrunedRange {
  return { laneId: range.laneId, fromSeq: range.fromSeq, toSeq: range.toSeq, lastHash: range.lastHash };
}

/** A crop or frame file retention dropped from an event it keeps (`images_pruned`), signed like a range. */
export interface PrunedImage {
  eventId: string;
  kind: 'crop' | 'frame';
  /** The image's hash as the chain recorded it (the event's cropHash, the evidence.frame event's sha256). */
  sha256: string;
}

export function signPrunedImage(image: PrunedImage, privateKey: KeyObject): string {
  return signBody('prunedImage', prunedImageBody(image), privateKey);
}

export function prunedImageSignatureValid(image: PrunedImage, signature: string, publicKey: KeyObject): boolean {
  return verifyBody('prunedImage', prunedImageBody(image), signature, publicKey);
}

function prunedImageBody(image: PrunedImage): PrunedImage {
  return { eventId: image.eventId, kind: image.kind, sha256: image.sha256 };
}
