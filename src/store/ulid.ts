import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';

/**
 * ULIDs (https://github.com/ulid/spec): 48 bits of ms time then 80 random bits, written as 26
 * characters of Crockford base32, so they sort as strings in creation order. Event ids are
 * ULIDs so central can order and deduplicate them without asking the gate.
 */
export const ULID_LENGTH = 26;

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
const MAX_TIME = 2 ** 48 - 1;
const MAX_RANDOM = (1n << 80n) - 1n;
const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/** The 10 time characters of a ULID. */
export function encodeTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_TIME) {
    throw new RangeError(`ULID time must be a whole number of ms in 0..2^48-1, got ${ms}`);
  }
  let out = '';
  for (let i = 0, rest = ms; i < TIME_CHARS; i++, rest = Math.floor(rest / 32)) out = ALPHABET[rest % 32] + out;
  return out;
}

/** The 16 random characters of a ULID, from an 80-bit number. */
export function encodeRandom(value: bigint): string {
  if (value < 0n || value > MAX_RANDOM) throw new RangeError(`ULID random part must fit in 80 bits, got ${value}`);
  let out = '';
  for (let i = 0, rest = value; i < RANDOM_CHARS; i++, rest >>= 5n) out = ALPHABET[Number(rest & 31n)] + out;
  return out;
}

/** The creation time (ms since the epoch) written in a ULID. */
export function decodeTime(ulid: string): number {
  if (!isUlid(ulid)) throw new RangeError(`not a ULID: ${JSON.stringify(ulid)}`);
  let ms = 0;
  for (const char of ulid.slice(0, TIME_CHARS)) ms = ms * 32 + ALPHABET.indexOf(char);
  return ms;
}

export function isUlid(value: string): boolean {
  return ULID_PATTERN.test(value);
}

/**
 * Makes strictly increasing ULIDs. Within one ms, or when the wall clock steps back (NTP), the
 * previous id's time is kept and its random part incremented: ids stay sortable in the order
 * they were made, which is the order events were recorded.
 */
export class UlidFactory {
  private lastTime = -1;
  private lastRandom = 0n;

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly random: (bytes: number) => Buffer = randomBytes,
  ) {}

  next(): string {
    const now = Math.floor(this.clock.now());
    if (now > this.lastTime) {
      this.lastTime = now;
      this.lastRandom = BigInt(`0x${this.random(10).toString('hex')}`);
    } else if (this.lastRandom === MAX_RANDOM) {
      // 2^80 ids in one ms cannot happen by chance; a broken random source could.
      throw new Error('ULID random part overflowed within one millisecond');
    } else {
      this.lastRandom += 1n;
    }
    return encodeTime(this.lastTime) + encodeRandom(this.lastRandom);
  }
}
