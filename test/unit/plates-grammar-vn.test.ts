import { describe, expect, it } from 'vitest';
import { parsePlate } from '../../src/plates/parse.js';
import type { PlateKind, RowLayout } from '../../src/plates/types.js';

interface Accepts {
  rows: string[];
  text: string;
  display: string;
  kind: PlateKind;
  layout: RowLayout;
}

// Examples from the GreenParking and vn-crops sets (motorbikes, cars) and from the circulars
// and the biensoxe library's documentation (foreign, military, temporary).
const accepts: Accepts[] = [
  { rows: ['29C-123.45'], text: '29C12345', display: '29C-123.45', kind: 'car', layout: 'one-row' },
  { rows: ['30A-999.99'], text: '30A99999', display: '30A-999.99', kind: 'car', layout: 'one-row' },
  { rows: ['51G-888.88'], text: '51G88888', display: '51G-888.88', kind: 'car', layout: 'one-row' },
  { rows: ['50Z-1630'], text: '50Z1630', display: '50Z-1630', kind: 'car', layout: 'one-row' },
  { rows: ['51F59881'], text: '51F59881', display: '51F-598.81', kind: 'car', layout: 'one-row' },
  { rows: ['51G', '123.45'], text: '51G12345', display: '51G-123.45', kind: 'car', layout: 'two-row' },
  { rows: ['60LD-005.84'], text: '60LD00584', display: '60LD-005.84', kind: 'car', layout: 'one-row' },
  { rows: ['60LD-4379'], text: '60LD4379', display: '60LD-4379', kind: 'car', layout: 'one-row' },
  { rows: ['51R-141.39'], text: '51R14139', display: '51R-141.39', kind: 'car', layout: 'one-row' },
  { rows: ['50TĐ-821.08'], text: '50TD82108', display: '50TD-821.08', kind: 'car', layout: 'one-row' },
  { rows: ['59-P1', '664.80'], text: '59P166480', display: '59-P1 664.80', kind: 'motorbike', layout: 'two-row' },
  { rows: ['59P166480'], text: '59P166480', display: '59-P1 664.80', kind: 'motorbike', layout: 'two-row' },
  { rows: ['54-T1 5417'], text: '54T15417', display: '54-T1 5417', kind: 'motorbike', layout: 'two-row' },
  { rows: ['16-F2', '6303'], text: '16F26303', display: '16-F2 6303', kind: 'motorbike', layout: 'two-row' },
  { rows: ['51-R3', '2161'], text: '51R32161', display: '51-R3 2161', kind: 'motorbike', layout: 'two-row' },
  { rows: ['59-AA', '123.45'], text: '59AA12345', display: '59-AA 123.45', kind: 'motorbike', layout: 'two-row' },
  { rows: ['51-LD', '5634'], text: '51LD5634', display: '51-LD 5634', kind: 'motorbike', layout: 'two-row' },
  { rows: ['29-MĐ1', '013.53'], text: '29MD101353', display: '29-MD1 013.53', kind: 'motorbike', layout: 'two-row' },
  { rows: ['80A-012.34'], text: '80A01234', display: '80A-012.34', kind: 'state', layout: 'one-row' },
  { rows: ['80B-1234'], text: '80B1234', display: '80B-1234', kind: 'state', layout: 'one-row' },
  { rows: ['TM-12-34'], text: 'TM1234', display: 'TM-12-34', kind: 'military', layout: 'one-row' },
  { rows: ['KA-48-46'], text: 'KA4846', display: 'KA-48-46', kind: 'military', layout: 'one-row' },
  { rows: ['QA', '12-34'], text: 'QA1234', display: 'QA-12-34', kind: 'military', layout: 'two-row' },
  { rows: ['80NG-636-70'], text: '80NG63670', display: '80NG-636-70', kind: 'foreign-ng', layout: 'one-row' },
  { rows: ['41-291-NG-01'], text: '41291NG01', display: '41-291-NG-01', kind: 'foreign-ng', layout: 'one-row' },
  { rows: ['80NN-381-35'], text: '80NN38135', display: '80NN-381-35', kind: 'foreign-nn', layout: 'one-row' },
  { rows: ['80QT-546-42'], text: '80QT54642', display: '80QT-546-42', kind: 'foreign-qt', layout: 'one-row' },
  { rows: ['T29-123.45'], text: 'T2912345', display: 'T29-123.45', kind: 'temporary', layout: 'one-row' },
];

describe('parsePlate: Vietnamese formats', () => {
  it.each(accepts)('$rows → $display ($kind)', ({ rows, text, display, kind, layout }) => {
    const p = parsePlate(rows, { countries: ['VN'] });
    expect(p).toMatchObject({ valid: true, text, display, kind, layout, country: 'VN', corrections: 0 });
    expect(p.raw).toBe(rows.join(' '));
    expect(p.reason).toBeUndefined();
  });

  it('reads a two-row motorbike plate and the same text as one row alike', () => {
    const twoRows = parsePlate(['59-P1', '664.80']);
    const oneRow = parsePlate(['59P166480']);
    expect(oneRow.text).toBe(twoRows.text);
    expect(oneRow.display).toBe(twoRows.display);
    expect(oneRow.kind).toBe('motorbike');
  });

  it('tells a car from a motorbike with the same text by the layout of the read', () => {
    expect(parsePlate(['29A12345'])).toMatchObject({ kind: 'car', display: '29A-123.45' });
    expect(parsePlate(['29A', '12345'])).toMatchObject({ kind: 'car', display: '29A-123.45' });
    expect(parsePlate(['29-A1', '2345'])).toMatchObject({ kind: 'motorbike', display: '29-A1 2345' });
    expect(parsePlate(['29-A1 2345'])).toMatchObject({ kind: 'motorbike', display: '29-A1 2345' });
    expect(parsePlate(['29LD-123.45'])).toMatchObject({ kind: 'car', display: '29LD-123.45' });
  });

  it.each([
    ['yellow', ['51G-888.88'], 'commercial'],
    ['blue', ['29A-123.45'], 'state'],
    ['blue', ['59-P1', '664.80'], 'state'],
    ['white', ['51G-888.88'], 'car'],
    ['red', ['51G-888.88'], 'car'],
    ['red', ['TM-12-34'], 'military'],
    ['yellow', ['80NG-636-70'], 'foreign-ng'],
  ] as const)('colour %s makes %j a %s plate', (color, rows, kind) => {
    expect(parsePlate(rows, { color }).kind).toBe(kind);
  });

  // A blue Chinese plate read without its province character (浙F8S901 as T8S901, corrected to
  // TB5901) fits the military format: only a plate that may be red can be read as one.
  it.each([
    [undefined, true],
    ['red', true],
    ['blue', false],
    ['white', false],
    ['yellow', false],
  ] as const)('a military text on a %s plate is valid: %s', (color, valid) => {
    const plate = parsePlate(['TB5901'], { countries: ['VN'], ...(color ? { color } : {}) });
    expect(plate.valid).toBe(valid);
    if (valid) expect(plate.kind).toBe('military');
  });
});

describe('parsePlate: Vietnamese look-alike corrections', () => {
  it.each([
    // A digit slot admits only digits: I→1, O→0, A→4, S→5, Z→2, B→8, G→6, D→0.
    [['29C-I23.45'], '29C12345', 1],
    [['59-P1 66A.80'], '59P166480', 1],
    [['29C-123.4O'], '29C12340', 1],
    [['S9-P1', '664.80'], '59P166480', 1],
    [['7Z-K5', '9221'], '72K59221', 1],
    [['51G-8B8.8G'], '51G88886', 2],
  ] as const)('%j → %s with %i corrections', (rows, text, corrections) => {
    expect(parsePlate(rows)).toMatchObject({ valid: true, text, corrections });
  });

  it('rejects a read needing more corrections than allowed', () => {
    const p = parsePlate(['51G-BBB.88']);
    expect(p).toMatchObject({ valid: false, text: '51GBBB88' });
    expect(p.reason).toMatch(/needs \d corrections to read as/);
  });

  it.each([
    // The series slot admits letters: 8→B, 5→S, 6→G, 2→Z (the only allowed look-alike).
    [['59-81', '664.80'], '59B166480', '59-B1 664.80'],
    [['51-52', '5013'], '51S25013', '51-S2 5013'],
    [['76-61', '116.49'], '76G111649', '76-G1 116.49'],
    [['512-123.45'], '51Z12345', '51Z-123.45'],
    // Đ of the electric series read as 0: only D fits the fixed MĐ slot.
    [['29-M01', '311.00'], '29MD131100', '29-MD1 311.00'],
  ] as const)('%j → %s', (rows, text, display) => {
    expect(parsePlate(rows)).toMatchObject({ valid: true, text, display, corrections: 1 });
  });

  it('makes a second correction only when the layout of the read agrees', () => {
    expect(parsePlate(['SO-B4', '221.55'])).toMatchObject({ valid: true, text: '50B422155', corrections: 2 });
    // `1G-495.24` (a car plate missing its first digit) would need 1G→16 and 4→A in a layout
    // the read contradicts.
    expect(parsePlate(['1G-495.24'])).toMatchObject({ valid: false, text: '1G49524' });
    expect(parsePlate(['SO-B4', '221.55'], { maxCorrections: 1 }).valid).toBe(false);
  });

  it('leaves a correction the grammar cannot decide, and says so', () => {
    // 0 in the series slot could be D or U.
    const p = parsePlate(['290-123.45']);
    expect(p).toMatchObject({ valid: false, text: '29012345', display: '290-123.45', country: null, kind: null });
    expect(p.reason).toMatch(/ambiguous.*29D12345.*29U12345/);
  });

  it('prefers the reading needing no correction', () => {
    // As read, 80NG… is a foreign plate; as a motorbike it would need G→6.
    expect(parsePlate(['80NG63670'])).toMatchObject({ kind: 'foreign-ng', corrections: 0 });
  });
});

describe('parsePlate: Vietnamese rejections keep the raw text', () => {
  it.each([
    [['29C-12'], '29C12', /no VN plate format has 5 characters/],
    [['13A-123.45'], '13A12345', /unknown province code 13/],
    [['10A-123.45'], '10A12345', /unknown province code 10/],
    [['29O-123.45'], '29O12345', /'O' at position 3 is not a series letter/],
    // P0 is no series; as two letters, 0 could be D or U.
    [['29-P0', '123.45'], '29P012345', /ambiguous correction: 29PD12345 or 29PU12345/],
    [['ZX-12-34'], 'ZX1234', /military unit letter/],
  ] as const)('%j', (rows, text, reason) => {
    const p = parsePlate(rows, { countries: ['VN'] });
    expect(p).toMatchObject({ valid: false, raw: rows.join(' '), text, display: rows.join(' '), corrections: 0 });
    expect(p.reason).toMatch(reason);
  });
});
