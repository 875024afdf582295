import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing for the local accounts: scrypt (memory-hard, in node:crypto, no native
 * add-on) with the parameters written into the stored string, so a later change of cost still
 * verifies the hashes made before it, and a login can tell that a hash is older than the
 * current cost (needsRehash) and store a new one.
 *
 * Stored form: `scrypt$N$r$p$<salt base64>$<hash base64>`.
 */

export const MIN_PASSWORD_LENGTH = 10;

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/**
 * OWASP's Password Storage Cheat Sheet: N=2^17, r=8, p=1, i.e. 128·N·r = 128 MiB of memory and
 * about 0.3 s of one core per hash on the gate computer. Hashes made before (N=16384) still
 * verify and are replaced at the next login.
 */
export const DEFAULT_SCRYPT_COST: Readonly<ScryptCost> = Object.freeze({ N: 1 << 17, r: 8, p: 1 });
const KEY_LENGTH = 64;
const SALT_BYTES = 16;

/** Memory one hash takes with `cost`, in bytes (scrypt's 128·N·r). */
export function scryptMemoryBytes(cost: ScryptCost): number {
  return 128 * cost.N * cost.r;
}

/** Why `password` cannot be used (to show after "password: "), or undefined when it can. */
export function passwordProblem(password: string): string | undefined {
  // Characters as people count them: "đ" is one, whichever way the keyboard sent it.
  const length = [...normalise(password)].length;
  if (length < MIN_PASSWORD_LENGTH) {
    return `must be at least ${MIN_PASSWORD_LENGTH} characters long, got ${length}`;
  }
  return undefined;
}

export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, KEY_LENGTH, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** True when `password` matches `stored`; compares in constant time. Throws on a malformed `stored`. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const { cost, salt, hash } = parseStored(stored);
  const candidate = await derive(password, salt, hash.length, cost);
  return timingSafeEqual(candidate, hash);
}

/**
 * Whether `stored` was made with a weaker cost than `cost` (any parameter lower) or another
 * key length: after a successful login it is replaced by a hash made with `cost`. Throws on a
 * malformed `stored`.
 */
export function needsRehash(stored: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): boolean {
  const parsed = parseStored(stored);
  return (
    parsed.cost.N < cost.N || parsed.cost.r < cost.r || parsed.cost.p < cost.p || parsed.hash.length !== KEY_LENGTH
  );
}

function parseStored(stored: string): { cost: ScryptCost; salt: Buffer; hash: Buffer } {
  const parts = stored.split('$');
  const [scheme, n, r, p, salt, hash] = parts;
  const whole = (s: string | undefined) => (s !== undefined && /^\d{1,7}$/.test(s) ? Number(s) : NaN);
  const cost = { N: whole(n), r: whole(r), p: whole(p) };
  const valid =
    parts.length === 6 &&
    scheme === 'scrypt' &&
    // Bounded so a tampered row cannot make one login take gigabytes of memory.
    cost.N >= 2 &&
    cost.N <= 1 << 20 &&
    (cost.N & (cost.N - 1)) === 0 &&
    cost.r >= 1 &&
    cost.r <= 32 &&
    cost.p >= 1 &&
    cost.p <= 16 &&
    !!salt &&
    !!hash;
  if (!valid) throw new Error('stored password hash is not of the form scrypt$N$r$p$salt$hash');
  const hashBytes = Buffer.from(hash, 'base64');
  if (hashBytes.length < 16) throw new Error('stored password hash is too short');
  return { cost, salt: Buffer.from(salt, 'base64'), hash: hashBytes };
}

function derive(password: string, salt: Buffer, keyLength: number, cost: ScryptCost): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; the default cap (32 MiB) would refuse the default cost itself.
  const options: ScryptOptions = { ...cost, maxmem: 2 * scryptMemoryBytes(cost) + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(normalise(password), salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/**
 * One form for the same text: Vietnamese letters typed on different keyboards or input methods
 * can arrive precomposed or as base letter + combining marks, and must hash alike.
 */
function normalise(password: string): string {
  return password.normalize('NFC');
}
