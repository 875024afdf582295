import { hash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/**
 * The evidence chain's rules, pure (docs/evidence.md): every event of a lane (the gate's own
 * events under the lane `gate`) carries the hash of its canonical payload, the hash of its plate
 * crop, and the previous event's chain hash; its own chain hash covers all of these and the
 * envelope. Changing, removing or reordering an event breaks the link of the event after it.
 */

export const CHAIN_VERSION = 1;

/** The chain fields of one event, as stored and as forwarded to central (`chain` on the wire). */
export interface ChainFields {
  v: typeof CHAIN_VERSION;
  /** SHA-256 (hex) of the payload's canonical JSON. */
  payloadHash: string;
  /** SHA-256 (hex) of the plate crop's bytes; null when the event had none. */
  cropHash: string | null;
  /** The chain hash of the lane's previous event; null for the lane's first chained event. */
  prevHash: string | null;
  /** SHA-256 (hex) of the canonical chain record (chainRecord). */
  chainHash: string;
}

/** What of an event's envelope the chain covers. */
export interface ChainEnvelope {
  eventId: string;
  bootId: string;
  seq: number;
  laneId: string;
  type: string;
  ts: number;
}

export type ChainLinks = Pick<ChainFields, 'payloadHash' | 'cropHash' | 'prevHash'>;

const HASH = /^[0-9a-f]{64}$/;

export function sha256Hex(data: string | Buffer): string {
  // crypto.hash: one call, faster than createHash for the small inputs of every append.
  return hash('sha256', data, 'hex');
}

export function isHash(value: unknown): value is string {
  return typeof value === 'string' && HASH.test(value);
}

export function payloadHashOf(payload: unknown): string {
  return sha256Hex(canonicalJson(payload));
}

/**
 * The record a chain hash is taken over. The site id is not in it: events a command records
 * before any daemon ran take the site when the daemon first opens the store, and the site is
 * bound by the gate's signed checkpoints instead. The monotonic time is not either: it means
 * nothing outside the process that read it.
 */
export function chainRecord(envelope: ChainEnvelope, links: ChainLinks): Record<string, unknown> {
  return {
    v: CHAIN_VERSION,
    eventId: envelope.eventId,
    bootId: envelope.bootId,
    seq: envelope.seq,
    laneId: envelope.laneId,
    type: envelope.type,
    ts: envelope.ts,
    payloadHash: links.payloadHash,
    cropHash: links.cropHash,
    prevHash: links.prevHash,
  };
}

export function chainHashOf(envelope: ChainEnvelope, links: ChainLinks): string {
  return sha256Hex(chainRecordText(envelope, links));
}

/**
 * canonicalJson(chainRecord(...)) written out by hand, members in canonical order, because it
 * runs on every append; a table test holds it to the general form.
 */
export function chainRecordText(e: ChainEnvelope, l: ChainLinks): string {
  const text = (s: string | null) => (s === null ? 'null' : JSON.stringify(s));
  return (
    `{"bootId":${text(e.bootId)},"cropHash":${text(l.cropHash)},"eventId":${text(e.eventId)},` +
    `"laneId":${text(e.laneId)},"payloadHash":${text(l.payloadHash)},"prevHash":${text(l.prevHash)},` +
    `"seq":${JSON.stringify(e.seq)},"ts":${JSON.stringify(e.ts)},"type":${text(e.type)},"v":${CHAIN_VERSION}}`
  );
}

/** The chain fields of a new event, given its canonical payload text, crop and the lane's head. */
export function chainFieldsFor(
  envelope: ChainEnvelope,
  canonicalPayload: string,
  crop: Buffer | null,
  prevHash: string | null,
): ChainFields {
  const links: ChainLinks = {
    payloadHash: sha256Hex(canonicalPayload),
    cropHash: crop ? sha256Hex(crop) : null,
    prevHash,
  };
  return { v: CHAIN_VERSION, ...links, chainHash: chainHashOf(envelope, links) };
}

/** What is wrong with an event's chain fields against its own content; null when they match. */
export type ChainFault =
  | { fault: 'payload'; expected: string; found: string }
  | { fault: 'crop'; expected: string | null; found: string | null }
  | { fault: 'record'; expected: string; found: string };

/**
 * Checks an event's fields against its content: the payload's hash, the crop's (only when the
 * crop is at hand: `crop` undefined skips it) and the chain hash over both and the envelope.
 */
export function checkEventFields(
  envelope: ChainEnvelope,
  payload: unknown,
  fields: ChainFields,
  crop?: Buffer | null,
): ChainFault | null {
  const payloadHash = payloadHashOf(payload);
  if (payloadHash !== fields.payloadHash) return { fault: 'payload', expected: fields.payloadHash, found: payloadHash };
  if (crop !== undefined) {
    const cropHash = crop ? sha256Hex(crop) : null;
    if (cropHash !== fields.cropHash) return { fault: 'crop', expected: fields.cropHash, found: cropHash };
  }
  const chainHash = chainHashOf(envelope, fields);
  if (chainHash !== fields.chainHash) return { fault: 'record', expected: fields.chainHash, found: chainHash };
  return null;
}

export function describeFault(fault: ChainFault): string {
  switch (fault.fault) {
    case 'payload':
      return `its payload does not match its payload hash (recorded ${fault.expected.slice(0, 12)}…, now ${fault.found.slice(0, 12)}…)`;
    case 'crop':
      return `its plate crop does not match the crop hash (recorded ${fault.expected?.slice(0, 12) ?? 'none'}, now ${fault.found?.slice(0, 12) ?? 'none'})`;
    case 'record':
      return `its envelope or hashes do not match its chain hash (recorded ${fault.expected.slice(0, 12)}…, now ${fault.found.slice(0, 12)}…)`;
  }
}
