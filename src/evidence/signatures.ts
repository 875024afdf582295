import { sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/**
 * Ed25519 signatures of the gate over canonical JSON, each kind with its own tag so that a
 * signature made for one kind of record can never pass as another's.
 */
export const SIGNATURE_TAGS = {
  checkpoint: 'smartgate-checkpoint-v1',
  pruned: 'smartgate-pruned-v1',
  prunedImage: 'smartgate-pruned-image-v1',
} as const;

export type SignatureKind = keyof typeof SIGNATURE_TAGS;

function signedBytes(kind: SignatureKind, body: unknown): Buffer {
  return Buffer.from(`${SIGNATURE_TAGS[kind]}\n${canonicalJson(body)}`, 'utf8');
}

/** Base64 Ed25519 signature of `tag LF canonical(body)`. */
export function signBody(kind: SignatureKind, body: unknown, privateKey: KeyObject): string {
  return sign(null, signedBytes(kind, body), privateKey).toString('base64');
}

export function verifyBody(kind: SignatureKind, body: unknown, signature: string, publicKey: KeyObject): boolean {
  try {
    return verify(null, signedBytes(kind, body), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
