import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKeyPair, parsePrivateKey, parsePublicKey, publicKeyText } from '../core/signing-key.js';
import { sha256Hex } from './chain.js';

/**
 * The gate's own Ed25519 key pair, made on the daemon's first start in its data directory: the
 * private key (`gate-key.pem`, mode 0600: the daemon's user alone reads it) signs the chain's
 * checkpoints; the public key (`gate-key.pub`, one line of base64 DER) is what `smartgate key
 * show` prints and what the gate publishes, retained, for central to check them with.
 */

export const GATE_KEY_FILE = 'gate-key.pem';
export const GATE_PUBLIC_KEY_FILE = 'gate-key.pub';

export interface GatePublicKey {
  publicKey: KeyObject;
  /** One line of base64 SPKI DER, as `smartgate key show` prints and the key topic carries. */
  publicKeyText: string;
  /** The first 16 hex digits of the SHA-256 of the public key's DER: names the key in checkpoints. */
  keyId: string;
}

export interface GateKey extends GatePublicKey {
  privateKey: KeyObject;
}

export function keyIdOf(publicKey: KeyObject): string {
  return sha256Hex(publicKey.export({ format: 'der', type: 'spki' })).slice(0, 16);
}

function publicPart(publicKey: KeyObject): GatePublicKey {
  return { publicKey, publicKeyText: publicKeyText(publicKey), keyId: keyIdOf(publicKey) };
}

/** What loadOrCreateGateKey did, for the daemon's log. */
export interface GateKeyOutcome {
  key: GateKey;
  created: boolean;
  /** The private key file could be read by others, and was made private again. */
  permissionsFixed: boolean;
  /** `gate-key.pub` did not hold the private key's public half, and was written again. */
  publicKeyFixed: boolean;
}

/**
 * Loads the gate key from `dataDir`, or makes one when there is none. A key file that is not an
 * Ed25519 private key is an error naming the file, never silently replaced: a new key would cut
 * the chain's signatures off from the key central already trusts.
 */
export function loadOrCreateGateKey(dataDir: string): GateKeyOutcome {
  const path = join(dataDir, GATE_KEY_FILE);
  if (!existsSync(path))
    return { key: createGateKey(dataDir), created: true, permissionsFixed: false, publicKeyFixed: false };
  let permissionsFixed = false;
  if ((statSync(path).mode & 0o077) !== 0) {
    chmodSync(path, 0o600);
    permissionsFixed = true;
  }
  let privateKey: KeyObject;
  try {
    privateKey = parsePrivateKey(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(
      `the gate key ${path} ${(err as Error).message}; restore it from a backup, or move it away to make a new key (central must then be given the new public key)`,
      { cause: err },
    );
  }
  const key: GateKey = { privateKey, ...publicPart(createPublicKey(privateKey)) };
  // `key show` and `verify` read the public file: one that is not this key's would have them
  // vouch for a key the gate does not sign with.
  const publicKeyFixed = !publicFileHolds(dataDir, key.publicKeyText);
  if (publicKeyFixed) writePublicKeyIfMissing(dataDir, key.publicKeyText, true);
  return { key, created: false, permissionsFixed, publicKeyFixed };
}

function publicFileHolds(dataDir: string, text: string): boolean {
  const path = join(dataDir, GATE_PUBLIC_KEY_FILE);
  return existsSync(path) && readFileSync(path, 'utf8').trim() === text;
}

function createGateKey(dataDir: string): GateKey {
  const pair = generateSigningKeyPair();
  // 'wx': two processes starting at once cannot both write a key; the loser fails loudly.
  writeDurably(join(dataDir, GATE_KEY_FILE), pair.privateKeyPem, 0o600);
  writePublicKeyIfMissing(dataDir, pair.publicKeyText, true);
  const privateKey = createPrivateKey(pair.privateKeyPem);
  return { privateKey, ...publicPart(createPublicKey(privateKey)) };
}

function writePublicKeyIfMissing(dataDir: string, text: string, replace = false): void {
  const path = join(dataDir, GATE_PUBLIC_KEY_FILE);
  if (!replace && existsSync(path)) return;
  writeDurably(path, `${text}\n`, 0o644, replace ? 'w' : 'wx');
}

function writeDurably(path: string, text: string, mode: number, flags = 'wx'): void {
  const fd = openSync(path, flags, mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The gate's public key as a reader of the data directory sees it (`smartgate key show`,
 * `smartgate verify`): from `gate-key.pub`, which anyone may read. Throws, saying so, when
 * the daemon has not made one yet.
 */
export function readGatePublicKey(dataDir: string): GatePublicKey {
  const path = join(dataDir, GATE_PUBLIC_KEY_FILE);
  if (!existsSync(path))
    throw new Error(`no gate key in ${dataDir} (${GATE_PUBLIC_KEY_FILE}): the daemon makes one on its first start`);
  try {
    return publicPart(parsePublicKey(readFileSync(path, 'utf8')));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** A public key given as text (base64 DER or PEM), e.g. central's copy of a gate's key. */
export function gatePublicKeyFromText(text: string): GatePublicKey {
  return publicPart(parsePublicKey(text));
}
