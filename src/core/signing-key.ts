import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/**
 * Ed25519 keys as text: central signs its commands and list pushes with a private key, and the
 * gate's config holds the public half. A public key is written either as SPKI PEM
 * (`-----BEGIN PUBLIC KEY-----`, what `openssl pkey -pubout` writes) or as the base64 of the
 * same DER on one line (what `smartgate sign keygen` prints, easy to put in YAML); a private key
 * is PKCS#8 PEM (what `openssl genpkey -algorithm ed25519` writes).
 */

const PEM_PUBLIC = /^-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export const PUBLIC_KEY_FORMAT =
  'an Ed25519 public key: SPKI PEM (-----BEGIN PUBLIC KEY-----) or its DER in base64 on one line (smartgate sign keygen prints one)';

/** Central's public key from its text; throws an Error saying what is wrong with it. */
export function parsePublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  try {
    if (PEM_PUBLIC.test(trimmed)) key = createPublicKey({ key: trimmed, format: 'pem' });
    else {
      const compact = trimmed.replace(/\s+/g, '');
      if (!BASE64.test(compact) || compact.length % 4 !== 0) throw new Error('not base64');
      key = createPublicKey({ key: Buffer.from(compact, 'base64'), format: 'der', type: 'spki' });
    }
  } catch {
    throw new Error(`expected ${PUBLIC_KEY_FORMAT}`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`is an ${key.asymmetricKeyType ?? 'unknown'} key, expected Ed25519`);
  return key;
}

/** A private key from PKCS#8 PEM; throws when it is not one, or not Ed25519. */
export function parsePrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new Error(`expected an Ed25519 private key in PEM (-----BEGIN PRIVATE KEY-----): ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`is an ${key.asymmetricKeyType ?? 'unknown'} key, expected Ed25519`);
  return key;
}

/** The one-line form of a public key, as the config takes it. */
export function publicKeyText(key: KeyObject): string {
  return key.export({ format: 'der', type: 'spki' }).toString('base64');
}

export interface SigningKeyPair {
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  /** SPKI PEM. */
  publicKeyPem: string;
  /** The one-line base64 DER form of the public key. */
  publicKeyText: string;
}

export function generateSigningKeyPair(): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicKeyText: publicKeyText(publicKey),
  };
}
