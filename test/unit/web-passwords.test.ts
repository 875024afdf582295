import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCRYPT_COST,
  hashPassword,
  MIN_PASSWORD_LENGTH,
  needsRehash,
  passwordProblem,
  scryptMemoryBytes,
  verifyPassword,
} from '../../src/web/auth/passwords.js';

// Low cost here: the default takes 128 MiB and about 0.3 s per hash, and is checked once below.
const LOW = { N: 1024, r: 8, p: 1 };
const STORED_FORM = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$/;

describe('hashPassword', () => {
  it("uses OWASP's scrypt parameters by default (N=2^17, r=8, p=1: 128 MiB), with a 16-byte salt and a 64-byte hash", async () => {
    expect(DEFAULT_SCRYPT_COST).toEqual({ N: 131072, r: 8, p: 1 });
    expect(scryptMemoryBytes(DEFAULT_SCRYPT_COST)).toBe(128 * 1024 * 1024);
    const stored = await hashPassword('a long passphrase');
    const [, n, r, p, salt, hash] = STORED_FORM.exec(stored) ?? [];
    expect([n, r, p]).toEqual(['131072', '8', '1']);
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    expect(Buffer.from(hash!, 'base64')).toHaveLength(64);
    expect(await verifyPassword('a long passphrase', stored)).toBe(true);
    expect(needsRehash(stored)).toBe(false);
  });

  it('writes the cost it was given into the stored string', async () => {
    const stored = await hashPassword('a long passphrase', LOW);
    expect(STORED_FORM.exec(stored)?.slice(1, 4)).toEqual(['1024', '8', '1']);
    expect(await verifyPassword('a long passphrase', stored)).toBe(true);
  });

  it('salts every hash: the same password twice gives two different strings', async () => {
    const [a, b] = await Promise.all([hashPassword('a long passphrase', LOW), hashPassword('a long passphrase', LOW)]);
    expect(a).not.toBe(b);
  });
});

describe('verifyPassword', () => {
  it.each([
    ['the same password', 'a long passphrase', true],
    ['a different password', 'a long passphrasf', false],
    ['a different case', 'A long passphrase', false],
    ['a trailing space', 'a long passphrase ', false],
    ['an empty password', '', false],
  ])('%s (%j) → %s', async (_, attempt, expected) => {
    const stored = await hashPassword('a long passphrase', LOW);
    expect(await verifyPassword(attempt, stored)).toBe(expected);
  });

  it('accepts a Vietnamese password typed precomposed or with combining marks alike', async () => {
    const precomposed = 'mật khẩu của tôi'.normalize('NFC');
    const decomposed = precomposed.normalize('NFD');
    expect(decomposed).not.toBe(precomposed);
    expect(await verifyPassword(decomposed, await hashPassword(precomposed, LOW))).toBe(true);
    expect(await verifyPassword(precomposed, await hashPassword(decomposed, LOW))).toBe(true);
  });

  it('verifies a hash made with other parameters, read from the stored string', async () => {
    const salt = randomBytes(16);
    const hash = scryptSync('a long passphrase', salt, 32, { N: 1024, r: 4, p: 2 });
    const stored = `scrypt$1024$4$2$${salt.toString('base64')}$${hash.toString('base64')}`;
    expect(await verifyPassword('a long passphrase', stored)).toBe(true);
    expect(await verifyPassword('another passphrase', stored)).toBe(false);
  });

  it.each([
    ['another scheme', 'bcrypt$16384$8$1$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA=='],
    ['a missing part', 'scrypt$16384$8$1$aGFzaGhhc2hoYXNoaGFzaA=='],
    ['N not a power of two', 'scrypt$16383$8$1$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA=='],
    ['a cost that would take gigabytes', 'scrypt$4194304$8$1$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA=='],
    ['a truncated hash', 'scrypt$16384$8$1$c2FsdA==$aGFzaA=='],
    ['an empty string', ''],
  ])('refuses a malformed stored hash (%s)', async (_, stored) => {
    await expect(verifyPassword('a long passphrase', stored)).rejects.toThrow(/stored password hash/);
  });
});

describe('needsRehash', () => {
  const stored = (n: number, r: number, p: number, keyBytes = 64) =>
    `scrypt$${n}$${r}$${p}$c2FsdHNhbHRzYWx0c2FsdA==$${Buffer.alloc(keyBytes, 1).toString('base64')}`;
  it.each([
    ['the old default (N=16384)', true, stored(16384, 8, 1)],
    ['a lower r', true, stored(131072, 4, 1)],
    ['a 32-byte hash', true, stored(131072, 8, 1, 32)],
    ['the current default', false, stored(131072, 8, 1)],
    ['a stronger cost', false, stored(262144, 8, 2)],
  ])('%s → %s', (_, expected, hash) => {
    expect(needsRehash(hash)).toBe(expected);
  });

  it('compares with the cost it is given', () => {
    expect(needsRehash(stored(1024, 8, 1), LOW)).toBe(false);
    expect(needsRehash(stored(512, 8, 1), LOW)).toBe(true);
  });
});

describe('passwordProblem', () => {
  it.each([
    ['empty', '', `must be at least ${MIN_PASSWORD_LENGTH} characters long, got 0`],
    ['9 characters', '123456789', 'must be at least 10 characters long, got 9'],
    ['10 characters', '1234567890', undefined],
    ['a long passphrase', 'a long passphrase', undefined],
    // 9 letters, but 27 code points before normalisation: counted as people count them.
    [
      '9 Vietnamese letters typed with combining marks',
      'ệ'.repeat(9).normalize('NFD'),
      'must be at least 10 characters long, got 9',
    ],
    ['10 Vietnamese letters', 'ệ'.repeat(10), undefined],
  ])('%s', (_, password, expected) => {
    expect(passwordProblem(password)).toBe(expected);
  });
});
