import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing for the local accounts: scrypt (memory-hard, in node:crypto, no native
 * add-on) with the parameters written into the stored string, so a later change of cost still
 * verifies the hashes made before it.
 *
 * Stored form: `scrypt$N$r$p$<salt base64>$<hash base64>`.
 */

export const MIN_PASSWORD_LENGTH = 10;

const COST = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 64;
const SALT_BYTES = 16;

/** Why `password` cannot be used (to show after "password: "), or undefined when it can. */
export function passwordProblem(password: string): string | undefined {
  // Characters as people count them: "đ" is one, whichever way the keyboard sent it.
  const length = [...normalise(password)].length;
  if (length < MIN_PASSWORD_LENGTH) {
    return `must be at least ${MIN_PASSWORD_LENGTH} characters long, got ${length}`;
  }
  return undefined;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, KEY_LENGTH, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** True when `password` matches `stored`; compares in constant time. Throws on a malformed `stored`. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const { cost, salt, hash } = parseStored(stored);
  const candidate = await derive(password, salt, hash.length, cost);
  return timingSafeEqual(candidate, hash);
}

interface Cost {
  N: number;
  r: number;
  p: number;
}

function parseStored(stored: string): { cost: Cost; salt: Buffer; hash: Buffer } {
  const parts = stored.split('$');
  const [scheme, n, r, p, salt, hash] = parts;
  const whole = (s: string | undefined) => (s !== undefined && /^\d{1,7}$/.test(s) ? Number(s) : NaN);
  const cost = { N: whole(n), r: whole(r), p: whole(p) };
  const valid =
    parts.length === 6 &&
    scheme === 'scrypt' &&
    // Bounded so a tampered row cannot make one login take gigabytes of memory.
    cost.N >= 2 && cost.N <= 1 << 20 && (cost.N & (cost.N - 1)) === 0 &&
    cost.r >= 1 && cost.r <= 32 &&
    cost.p >= 1 && cost.p <= 16 &&
    !!salt && !!hash;
  if (!valid) throw new Error('stored password hash is not of the form scrypt$N$r$p$salt$hash');
  const hashBytes = Buffer.from(hash!, 'base64');
  if (hashBytes.length < 16) throw new Error('stored password hash is too short');
  return { cost, salt: Buffer.from(salt!, 'base64'), hash: hashBytes };
}

function derive(password: string, salt: Buffer, keyLength: number, cost: Cost): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; the default cap (32 MiB) would refuse a stronger cost stored later.
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
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
