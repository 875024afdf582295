import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, MIN_PASSWORD_LENGTH, passwordProblem, verifyPassword } from '../../src/web/auth/passwords.js';

const STORED_FORM = /^scrypt\$16384\$8\$1\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$/;

describe('hashPassword', () => {
  it('stores scrypt with its parameters, a 16-byte salt and a 64-byte hash', async () => {
    const stored = await hashPassword('a long passphrase');
    const [, salt, hash] = STORED_FORM.exec(stored) ?? [];
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    expect(Buffer.from(hash!, 'base64')).toHaveLength(64);
  });

  it('salts every hash: the same password twice gives two different strings', async () => {
    const [a, b] = await Promise.all([hashPassword('a long passphrase'), hashPassword('a long passphrase')]);
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
    const stored = await hashPassword('a long passphrase');
    expect(await verifyPassword(attempt, stored)).toBe(expected);
  });

  it('accepts a Vietnamese password typed precomposed or with combining marks alike', async () => {
    const precomposed = 'mật khẩu của tôi'.normalize('NFC');
    const decomposed = precomposed.normalize('NFD');
    expect(decomposed).not.toBe(precomposed);
    expect(await verifyPassword(decomposed, await hashPassword(precomposed))).toBe(true);
    expect(await verifyPassword(precomposed, await hashPassword(decomposed))).toBe(true);
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

describe('passwordProblem', () => {
  it.each([
    ['empty', '', `must be at least ${MIN_PASSWORD_LENGTH} characters long, got 0`],
    ['9 characters', '123456789', 'must be at least 10 characters long, got 9'],
    ['10 characters', '1234567890', undefined],
    ['a long passphrase', 'a long passphrase', undefined],
    // 9 letters, but 27 code points before normalisation: counted as people count them.
    ['9 Vietnamese letters typed with combining marks', 'ệ'.repeat(9).normalize('NFD'), 'must be at least 10 characters long, got 9'],
    ['10 Vietnamese letters', 'ệ'.repeat(10), undefined],
  ])('%s', (_, password, expected) => {
    expect(passwordProblem(password)).toBe(expected);
  });
});
