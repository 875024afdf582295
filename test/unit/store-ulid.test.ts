import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { decodeTime, encodeRandom, encodeTime, isUlid, ULID_LENGTH, UlidFactory } from '../../src/store/ulid.js';

/** A random source that returns the given bytes, for ids that can be written down. */
const fixedRandom = (byte: number) => (n: number) => Buffer.alloc(n, byte);

describe('ULID encoding', () => {
  it.each([
    [0, '0000000000'],
    [1, '0000000001'],
    [32, '0000000010'],
    // The spec's example time (https://github.com/ulid/spec): 01ARYZ6S41 is 1469918176385.
    [1469918176385, '01ARYZ6S41'],
    [2 ** 48 - 1, '7ZZZZZZZZZ'],
  ])('writes time %d as %s and reads it back', (ms, text) => {
    expect(encodeTime(ms)).toBe(text);
    expect(decodeTime(`${text}${'0'.repeat(16)}`)).toBe(ms);
  });

  it.each([-1, 2 ** 48, 1.5, Number.NaN])('refuses time %d', (ms) => {
    expect(() => encodeTime(ms)).toThrow(/ULID time/);
  });

  it('writes the random part as 16 Crockford base32 characters', () => {
    expect(encodeRandom(0n)).toBe('0'.repeat(16));
    expect(encodeRandom(31n)).toBe(`${'0'.repeat(15)}Z`);
    expect(encodeRandom((1n << 80n) - 1n)).toBe('Z'.repeat(16));
    expect(() => encodeRandom(1n << 80n)).toThrow(/80 bits/);
  });

  it.each([
    ['01ARZ3NDEKTSV4RRFFQ69G5FAV', true],
    ['01arz3ndektsv4rrffq69g5fav', false], // we only write upper case
    ['01ARZ3NDEKTSV4RRFFQ69G5FA', false], // 25 characters
    ['01ARZ3NDEKTSV4RRFFQ69G5FAI', false], // I is not Crockford
    ['81ARZ3NDEKTSV4RRFFQ69G5FAV', false], // time past 2^48
  ])('isUlid(%s) is %s', (text, expected) => {
    expect(isUlid(text)).toBe(expected);
  });
});

describe('UlidFactory', () => {
  it('makes 26-character ids carrying the clock time', () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const id = new UlidFactory(clock).next();
    expect(id).toHaveLength(ULID_LENGTH);
    expect(isUlid(id)).toBe(true);
    expect(decodeTime(id)).toBe(Date.UTC(2026, 0, 1));
  });

  it('increments the random part within one millisecond', () => {
    const ids = new UlidFactory(new FakeClock(0), fixedRandom(0));
    expect([ids.next(), ids.next(), ids.next()]).toEqual([
      `0000000000${'0'.repeat(16)}`,
      `0000000000${'0'.repeat(15)}1`,
      `0000000000${'0'.repeat(15)}2`,
    ]);
  });

  it('carries into higher characters', () => {
    const ids = new UlidFactory(new FakeClock(0), () => Buffer.from('00000000000000000000', 'hex'));
    for (let i = 0; i < 32; i++) ids.next(); // random parts 0..31
    expect(ids.next().slice(10)).toBe(`${'0'.repeat(14)}10`);
  });

  it('takes fresh randomness when the millisecond changes', () => {
    const clock = new FakeClock(0);
    let byte = 0;
    const ids = new UlidFactory(clock, (n) => Buffer.alloc(n, byte++));
    const first = ids.next();
    clock.advance(1);
    const second = ids.next();
    expect(decodeTime(second)).toBe(decodeTime(first) + 1);
    expect(second.slice(10)).toBe(encodeRandom(BigInt(`0x${'01'.repeat(10)}`)));
  });

  it('stays sortable in creation order when the wall clock steps back', () => {
    const clock = { t: 5000, now: () => clock.t };
    const ids = new UlidFactory(clock);
    const made = [ids.next()];
    clock.t = 4000; // NTP correction
    made.push(ids.next(), ids.next());
    clock.t = 6000;
    made.push(ids.next());
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(made.length);
    expect(decodeTime(made[1]!)).toBe(5000);
  });

  it('is strictly increasing over many ids in the same and following milliseconds', () => {
    const clock = new FakeClock();
    const ids = new UlidFactory(clock);
    const made: string[] = [];
    for (let i = 0; i < 5000; i++) {
      made.push(ids.next());
      if (i % 1000 === 999) clock.advance(1);
    }
    for (let i = 1; i < made.length; i++) expect(made[i]! > made[i - 1]!).toBe(true);
  });

  it('refuses to wrap the random part within one millisecond', () => {
    const ids = new UlidFactory(new FakeClock(0), fixedRandom(0xff));
    expect(ids.next().slice(10)).toBe('Z'.repeat(16));
    expect(() => ids.next()).toThrow(/overflowed/);
  });
});
