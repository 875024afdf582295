import { describe, expect, it } from 'vitest';
import { canonicalJson, CanonicalJsonError } from '../../src/evidence/canonical-json.js';

describe('canonical JSON (RFC 8785 order)', () => {
  it.each([
    [
      'sorts members by name, at every depth',
      { b: 1, a: { d: [3, { z: 0, y: 1 }], c: null } },
      '{"a":{"c":null,"d":[3,{"y":1,"z":0}]},"b":1}',
    ],
    ['writes no whitespace', { a: [1, 2], b: 'x y' }, '{"a":[1,2],"b":"x y"}'],
    // '€' is one code unit (0x20ac), '😀' two (0xd83d 0xde00): € sorts first.
    [
      'orders names by UTF-16 code units, not code points',
      { '😀': 1, '€': 2, a: 3, B: 4 },
      '{"B":4,"a":3,"€":2,"😀":1}',
    ],
    [
      'escapes strings as JSON.stringify does',
      { s: 'quote " backslash \\ newline \n tab \t \u0001 Việt 中' },
      '{"s":"quote \\" backslash \\\\ newline \\n tab \\t \\u0001 Việt 中"}',
    ],
    [
      'writes numbers as ECMAScript does',
      { a: 1.5, b: -0, c: 1e21, d: 1e-7, e: 100, f: 0.1 + 0.2 },
      '{"a":1.5,"b":0,"c":1e+21,"d":1e-7,"e":100,"f":0.30000000000000004}',
    ],
    ['drops undefined and functions, as JSON.stringify', { a: undefined, b: () => 1, c: 1 }, '{"c":1}'],
    ['writes what an array cannot drop as null', [undefined, () => 1, 'x'], '[null,null,"x"]'],
    [
      'writes NaN and Infinity as null, as JSON.stringify',
      { a: NaN, b: Infinity, c: -Infinity },
      '{"a":null,"b":null,"c":null}',
    ],
    ['calls toJSON', { at: new Date(Date.UTC(2026, 0, 2)) }, '{"at":"2026-01-02T00:00:00.000Z"}'],
    [
      'keeps booleans, null and empty containers',
      { t: true, f: false, n: null, o: {}, l: [] },
      '{"f":false,"l":[],"n":null,"o":{},"t":true}',
    ],
  ])('%s', (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it("writes RFC 8785's own example (section 3.2.2) as the RFC does", () => {
    const input =
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
      '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}';
    expect(canonicalJson(JSON.parse(input))).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('is the same text for the same value however its members were ordered', () => {
    const a = { plate: { text: '29C12345', confidence: 0.98 }, laneId: 'entry-1', votes: [1, 2] };
    const b = { votes: [1, 2], laneId: 'entry-1', plate: { confidence: 0.98, text: '29C12345' } };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
  });

  it('reads back as the value it was made from', () => {
    const value = { a: [1, 'two', { three: 3.25 }], b: { c: null, d: true } };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });

  it.each([
    ['a BigInt', { n: 10n }, '$.n: a BigInt has no JSON form'],
    [
      'a cycle',
      (() => {
        const o: Record<string, unknown> = { a: [] };
        (o.a as unknown[]).push(o);
        return o;
      })(),
      '$.a[0]: refers back to itself',
    ],
    ['a symbol at the top', Symbol('x'), '$: a symbol has no JSON form'],
  ])('refuses %s, naming where', (_name, value, message) => {
    expect(() => canonicalJson(value)).toThrow(CanonicalJsonError);
    expect(() => canonicalJson(value)).toThrow(message);
  });

  it('allows the same object twice side by side (only a cycle is refused)', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});
