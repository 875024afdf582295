import { sign, verify, type KeyObject } from 'node:crypto';
import { parsePublicKey } from '../core/signing-key.js';
import type { Refusal } from './inbound-outcome.js';

/**
 * Central signs every command and list push with Ed25519; the gate checks the signature before
 * it reads the payload, so a client that merely reaches the broker cannot open a barrier or
 * change a list. The signature and the key's id travel as MQTT 5 user properties (`sig`, `kid`)
 * and the payload stays exactly what central wrote. What is signed binds the topic as well as
 * the payload — a fixed tag, the topic and the payload bytes, separated by newlines — so a
 * signed `hold.refuse` re-published on `hold.confirm`'s topic, or a command for one gate
 * replayed to another site, does not verify.
 */

/** The first line of the signed bytes: names what the signature is for, and its version. */
export const SIGNATURE_DOMAIN = 'smartgate-central-v1';
export const SIG_PROPERTY = 'sig';
export const KID_PROPERTY = 'kid';
const SIGNATURE_BYTES = 64;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** `smartgate-central-v1` LF topic LF payload: the exact bytes central signs. */
export function signedBytes(topic: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${SIGNATURE_DOMAIN}\n${topic}\n`, 'utf8'), payload]);
}

/** The user properties central attaches to a message: its signature over topic and payload, and the key's id. */
export function signCentralMessage(
  privateKey: KeyObject,
  kid: string,
  topic: string,
  payload: Buffer | string,
): { sig: string; kid: string } {
  const bytes = signedBytes(topic, Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8'));
  return { [SIG_PROPERTY]: sign(null, bytes, privateKey).toString('base64'), [KID_PROPERTY]: kid };
}

/** Signed by a key of central's (with its id), or why the message cannot be taken as central's. */
export type SignatureVerdict = { signed: true; kid: string } | { signed: false; refusal: Refusal };

/** MQTT 5 user properties as mqtt.js hands them over: a name given twice is an array. */
export type UserProperties = Readonly<Record<string, string | string[]>>;

export interface CentralKeyEntry {
  id: string;
  publicKey: string;
}

/**
 * The public keys of central the gate trusts, by id. Several at once is how a key is rotated:
 * add the new one, let central sign with it, then drop the old one.
 */
export class CentralKeys {
  private readonly keys: ReadonlyMap<string, KeyObject>;

  /** Throws when a key cannot be read: the config is validated before, so that is a bug. */
  constructor(entries: readonly CentralKeyEntry[]) {
    this.keys = new Map(entries.map((e) => [e.id, parsePublicKey(e.publicKey)]));
  }

  get ids(): string[] {
    return [...this.keys.keys()];
  }

  /** Never throws: every problem is a refusal with its code. */
  verify(topic: string, payload: Buffer, properties: UserProperties | undefined): SignatureVerdict {
    const refuse = (code: Refusal['code'], message: string): SignatureVerdict => ({
      signed: false,
      refusal: { code, message },
    });
    if (this.keys.size === 0) {
      return refuse(
        'no-central-key',
        'the gate has no public key of central (mqtt.central.keys), so it cannot check signatures; see docs/mqtt.md#signatures',
      );
    }
    const sig = properties?.[SIG_PROPERTY];
    const kid = properties?.[KID_PROPERTY];
    if (sig === undefined)
      return refuse(
        'unsigned',
        `no "${SIG_PROPERTY}" user property: central signs every command and list push (docs/mqtt.md#signatures)`,
      );
    if (typeof sig !== 'string')
      return refuse('bad-signature', `${SIG_PROPERTY}: given ${sig.length} times, expected once`);
    if (kid === undefined)
      return refuse('bad-signature', `${KID_PROPERTY}: missing; it names the key that signed (${this.ids.join(', ')})`);
    if (typeof kid !== 'string')
      return refuse('bad-signature', `${KID_PROPERTY}: given ${kid.length} times, expected once`);
    const key = this.keys.get(kid);
    if (!key)
      return refuse(
        'bad-signature',
        `${KID_PROPERTY}: no key "${kid.slice(0, 64)}" at this gate; keys: ${this.ids.join(', ')}`,
      );
    const signature = BASE64.test(sig) ? Buffer.from(sig, 'base64') : null;
    if (!signature || signature.length !== SIGNATURE_BYTES)
      return refuse('bad-signature', `${SIG_PROPERTY}: expected ${SIGNATURE_BYTES} bytes in base64`);
    let good: boolean;
    try {
      good = verify(null, signedBytes(topic, payload), key, signature);
    } catch {
      good = false;
    }
    if (!good)
      return refuse('bad-signature', `${SIG_PROPERTY}: does not verify with key "${kid}" over this topic and payload`);
    return { signed: true, kid };
  }
}
