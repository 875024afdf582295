import { describe, expect, it } from 'vitest';
import { grammarFit, parsePlate } from '../../src/plates/parse.js';
import type { PlateKind, RowLayout } from '../../src/plates/types.js';

interface Accepts {
  rows: string[];
  text: string;
  display: string;
  kind: PlateKind;
  layout: RowLayout;
}

// Ordinary plates are CCPD labels; the others follow GA 36-2018's examples.
const accepts: Accepts[] = [
  { rows: ['京PL3N67'], text: '京PL3N67', display: '京P·L3N67', kind: 'ordinary', layout: 'one-row' },
  { rows: ['川JK0707'], text: '川JK0707', display: '川J·K0707', kind: 'ordinary', layout: 'one-row' },
  { rows: ['皖A12345'], text: '皖A12345', display: '皖A·12345', kind: 'ordinary', layout: 'one-row' },
  { rows: ['沪AMS087'], text: '沪AMS087', display: '沪A·MS087', kind: 'ordinary', layout: 'one-row' },
  { rows: ['云A·12345'], text: '云A12345', display: '云A·12345', kind: 'ordinary', layout: 'one-row' },
  { rows: ['云A', '12345'], text: '云A12345', display: '云A·12345', kind: 'ordinary', layout: 'two-row' },
  { rows: ['云A·D12345'], text: '云AD12345', display: '云A·D12345', kind: 'new-energy', layout: 'one-row' },
  { rows: ['京ADF0236'], text: '京ADF0236', display: '京A·DF0236', kind: 'new-energy', layout: 'one-row' },
  { rows: ['云A·12345F'], text: '云A12345F', display: '云A·12345F', kind: 'new-energy', layout: 'one-row' },
  { rows: ['云A1234挂'], text: '云A1234挂', display: '云A·1234挂', kind: 'trailer', layout: 'one-row' },
  { rows: ['云A', '1234挂'], text: '云A1234挂', display: '云A·1234挂', kind: 'trailer', layout: 'two-row' },
  { rows: ['云A1234学'], text: '云A1234学', display: '云A·1234学', kind: 'coach', layout: 'one-row' },
  { rows: ['云A1234警'], text: '云A1234警', display: '云A·1234警', kind: 'police', layout: 'one-row' },
  { rows: ['粤Z1234港'], text: '粤Z1234港', display: '粤Z·1234港', kind: 'hong-kong-macau', layout: 'one-row' },
  { rows: ['粤Z·F023澳'], text: '粤ZF023澳', display: '粤Z·F023澳', kind: 'hong-kong-macau', layout: 'one-row' },
  { rows: ['使014·578'], text: '使014578', display: '使014·578', kind: 'embassy', layout: 'one-row' },
  { rows: ['224·001使'], text: '224001使', display: '224·001使', kind: 'embassy', layout: 'one-row' },
  { rows: ['沪A·0123领'], text: '沪A0123领', display: '沪A·0123领', kind: 'embassy', layout: 'one-row' },
];

describe('parsePlate: Chinese formats', () => {
  it.each(accepts)('$rows → $display ($kind)', ({ rows, text, display, kind, layout }) => {
    const p = parsePlate(rows, { countries: ['CN'] });
    expect(p).toMatchObject({ valid: true, text, display, kind, layout, country: 'CN', corrections: 0 });
    expect(p.reason).toBeUndefined();
  });

  it('tries both countries by default and only the ones asked for', () => {
    expect(parsePlate(['云A12345']).country).toBe('CN');
    expect(parsePlate(['29C-123.45']).country).toBe('VN');
    const vnOnly = parsePlate(['云A12345'], { countries: ['VN'] });
    expect(vnOnly).toMatchObject({ valid: false, text: '云A12345', country: null });
    expect(vnOnly.reason).toMatch(/'云' at position 1 is not a province code digit/);
  });
});

describe('parsePlate: Chinese look-alike corrections', () => {
  it.each([
    // I and O are never printed: in a serial position they can only be 1 and 0.
    [['川JK07O7'], '川JK0707'],
    [['皖AI2345'], '皖A12345'],
    // The new-energy digits admit digits only.
    [['云AD1234S'], '云AD12345'],
    // The authority letter admits letters only; 8 can only be B.
    [['云812345'], '云B12345'],
  ] as const)('%j → %s', (rows, text) => {
    expect(parsePlate(rows)).toMatchObject({ valid: true, text, corrections: 1 });
  });

  it.each([
    // B/8, S/5, Z/2 are all legal in the serial: the read stands as it is.
    ['云A12B45'],
    ['云A1S345'],
    ['云AZ2345'],
  ])('%s is kept as read', (row) => {
    expect(parsePlate([row])).toMatchObject({ valid: true, text: row, corrections: 0 });
  });

  it('leaves a correction the grammar cannot decide', () => {
    // 0 as the authority letter could be D, Q or U.
    const p = parsePlate(['云012345']);
    expect(p).toMatchObject({ valid: false, text: '云012345', display: '云012345' });
    expect(p.reason).toMatch(/ambiguous correction/);
  });
});

describe('parsePlate: Chinese rejections keep the raw text', () => {
  it.each([
    [['A12345'], /no CN plate format has 6 characters/],
    [['中A12345'], /'中' at position 1 is not a province character/],
    [['皖ABCD12'], /3 letters in the serial BCD12/],
    [['粤A1234港'], /港 plates are registered as 粤Z, not 粤A/],
  ] as const)('%j', (rows, reason) => {
    const p = parsePlate(rows, { countries: ['CN'] });
    expect(p).toMatchObject({ valid: false, raw: rows.join(' '), display: rows.join(' '), kind: null, country: null });
    expect(p.reason).toMatch(reason);
  });
});

describe('parsePlate: reads no grammar accepts', () => {
  it.each([
    [['HELLO'], 'HELLO'],
    [['29C-12'], '29C12'],
    [['ABC123'], 'ABC123'],
    [['hello world!'], 'HELLOWORLD'],
  ])('%j is kept, flagged, with its normalised text', (rows, text) => {
    const p = parsePlate(rows);
    expect(p).toMatchObject({
      valid: false,
      raw: rows.join(' '),
      text,
      display: rows.join(' '),
      country: null,
      kind: null,
    });
    expect(p.reason).toEqual(expect.any(String));
  });

  it('rejects an empty read', () => {
    expect(parsePlate(['', ' - '])).toMatchObject({ valid: false, text: '', reason: 'empty read' });
    expect(parsePlate([])).toMatchObject({ valid: false, text: '', raw: '' });
  });
});

describe('grammarFit', () => {
  it('ranks a clean parse over a corrected one over a rejected one', () => {
    const clean = grammarFit(['29C-123.45']);
    const corrected = grammarFit(['29C-I23.45']);
    const rejected = grammarFit(['29C-12']);
    expect(clean).toBe(1);
    expect(corrected).toBeLessThan(clean);
    expect(corrected).toBeGreaterThan(rejected);
    expect(rejected).toBe(0);
  });
});
