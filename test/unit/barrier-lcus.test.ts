import { describe, expect, it } from 'vitest';
import { decodeLcus, encodeLcus, hex } from '../../src/barrier/lcus.js';

describe('LCUS frames', () => {
  it.each([
    [1, true, 'A0 01 01 A2'],
    [1, false, 'A0 01 00 A1'],
    [2, true, 'A0 02 01 A3'],
    [2, false, 'A0 02 00 A2'],
    [4, true, 'A0 04 01 A5'],
    [4, false, 'A0 04 00 A4'],
  ])('channel %i on=%s is %s', (channel, on, bytes) => {
    expect(hex(encodeLcus(channel, on))).toBe(bytes);
    expect(decodeLcus(Buffer.from(bytes.replace(/ /g, ''), 'hex'))).toEqual({ channel, on });
  });

  it.each([0, 9, 1.5, -1])('refuses channel %s', (channel) => {
    expect(() => encodeLcus(channel, true)).toThrow(/LCUS channel must be/);
  });

  it('names what is wrong with a bad frame', () => {
    expect(() => decodeLcus(Buffer.from('A00101A3', 'hex'))).toThrow(/checksum A3 != expected A2/);
    expect(() => decodeLcus(Buffer.from('B00101A2', 'hex'))).toThrow(/start with A0/);
    expect(() => decodeLcus(Buffer.from('A00101', 'hex'))).toThrow(/4 bytes, got 3/);
    expect(() => decodeLcus(Buffer.from('A00102A3', 'hex'))).toThrow(/op must be/);
  });
});
