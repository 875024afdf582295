import { describe, expect, it } from 'vitest';
import { lookAlikeVariants } from '../../src/plates/confusions.js';
import { YardBook, type YardVisit } from '../../src/yard/yard-book.js';
import { entryVerdict, exitVerdict, overstayLevel, vehicleClassOf } from '../../src/yard/yard-rules.js';

function visit(visitId: string, plate: string | null, more: Partial<YardVisit> = {}): YardVisit {
  return {
    visitId,
    plate,
    display: plate,
    pairedPlate: null,
    vehicleClass: null,
    enteredAt: 0,
    entryLaneId: 'in-1',
    decisionId: null,
    overstayLevel: 0,
    ...more,
  };
}

const YARD = {
  name: 'Bãi chờ',
  capacity: 3,
  classes: [
    { id: 'truck', capacity: 2, plateKinds: ['commercial', 'trailer'] as ('commercial' | 'trailer')[] },
    { id: 'car', capacity: 2, plateKinds: ['car', 'ordinary'] as ('car' | 'ordinary')[] },
  ],
  callForward: { required: true, expiresMinutes: 30 },
};

describe('lookAlikeVariants', () => {
  it.each([
    ['29C12345', ['29C12345']],
    ['0A', ['OA', 'QA', 'DA', 'UA', '04']],
    ['云A1', ['云41', '云AI']],
    ['', []],
  ])('%s: every text one look-alike away', (text, expected) => {
    const variants = lookAlikeVariants(text);
    if (text === '29C12345') expect(variants).not.toContain(text);
    else expect(variants.sort()).toEqual([...expected].sort());
  });
});

describe('YardBook.find', () => {
  const book = new YardBook(YARD);
  book.enter(visit('v1', '29C12345'));
  book.enter(visit('v2', '云A12345', { pairedPlate: '24LD01234' }));
  book.enter(visit('v3', null));
  book.enter(visit('v4', '3OA11111'));
  book.enter(visit('v5', '30A1111I'));

  it.each([
    ['its own plate', '29C12345', null, 'v1', 'exact'],
    ['the paired plate read', '24LD01234', null, 'v2', 'paired'],
    ['the plate read, its pair named by the lists', '99X99999', '云A12345', 'v2', 'paired'],
    ['one look-alike away (O for 0)', '29C1234S', null, 'v1', 'look-alike'],
    ['no plate: the oldest vehicle without one', null, null, 'v3', 'exact'],
  ] as const)('%s', (_case, plate, paired, visitId, match) => {
    expect(book.find(plate, paired)).toMatchObject({ visit: { visitId }, match });
  });

  it.each([
    ['unknown plate', '30A99999'],
    ['two characters away', '29C1Z34S'],
    // 3OA11111 and 30A1111I are both one look-alike from the read: it cannot tell which.
    ['look-alike of two vehicles inside', '30A11111'],
  ])('%s: no match', (_case, plate) => {
    expect(book.find(plate)).toBeNull();
  });
});

describe('YardBook occupancy and room', () => {
  it('counts the vehicles inside and the places promised, per class', () => {
    const book = new YardBook(YARD);
    expect(book.hasRoom('truck')).toBe(true);
    book.enter(visit('v1', '29C12345', { vehicleClass: 'truck' }));
    book.reserve('d2', 'truck');
    expect(book.occupancy).toBe(1);
    expect(book.reserved).toBe(1);
    // Two truck places: one inside, one promised.
    expect(book.hasRoom('truck')).toBe(false);
    expect(book.hasRoom('car')).toBe(true);
    expect(book.hasRoom(null)).toBe(true);
    book.enter(visit('v2', '30A11111', { vehicleClass: 'car' }));
    // Three places in all: full for every class.
    expect(book.full).toBe(true);
    expect(book.hasRoom('car')).toBe(false);
    expect(book.release('d2')).toBe(true);
    expect(book.release('d2')).toBe(false);
    expect(book.hasRoom('truck')).toBe(true);
    expect(book.leave('v1')).toMatchObject({ visitId: 'v1' });
    expect(book.leave('v1')).toBeNull();
    expect(book.occupancyOf('truck')).toBe(0);
    expect(book.find('29C12345')).toBeNull();
  });

  it('keeps 10,000 vehicles inside with constant-time lookups by plate', () => {
    const book = new YardBook({ capacity: 20_000, classes: [] });
    for (let i = 0; i < 10_000; i++) book.enter(visit(`v${i}`, `29C${String(i).padStart(5, '0')}`));
    expect(book.occupancy).toBe(10_000);
    expect(book.find('29C09999')?.visit.visitId).toBe('v9999');
    expect(book.inside().next().value?.visitId).toBe('v0');
  });
});

describe('yard rules', () => {
  it.each([
    ['allow entry names a class of the yard', { kind: 'car', vehicleClass: 'truck' }, 'truck'],
    ['allow entry names a class the yard lacks: by plate kind', { kind: 'car', vehicleClass: 'bus' }, 'car'],
    ['by plate kind', { kind: 'trailer', vehicleClass: null }, 'truck'],
    ['kind in no class', { kind: 'motorbike', vehicleClass: null }, null],
    ['no kind', { kind: null, vehicleClass: null }, null],
  ])('vehicleClassOf: %s', (_case, vehicle, expected) => {
    expect(vehicleClassOf(YARD, vehicle)).toBe(expected);
  });

  it.each([
    [[240], 0, 0],
    [[240], 240 * 60_000 - 1, 0],
    [[240], 240 * 60_000, 1],
    [[60, 240], 241 * 60_000, 2],
    [[60, 240], 61 * 60_000, 1],
  ])('overstayLevel(%j, %i) = %i', (thresholds, dwell, level) => {
    expect(overstayLevel(thresholds, dwell)).toBe(level);
  });

  it('entryVerdict holds yard-full when no place is left, naming the count', () => {
    const book = new YardBook(YARD);
    expect(entryVerdict(YARD, book, 'truck')).toBeNull();
    book.enter(visit('v1', 'A', { vehicleClass: 'truck' }));
    book.enter(visit('v2', 'B', { vehicleClass: 'truck' }));
    expect(entryVerdict(YARD, book, 'truck')).toEqual({
      reason: 'yard-full',
      detail: 'Bãi chờ has no truck place free (2 of 2 truck inside)',
    });
    expect(entryVerdict(YARD, book, 'car')).toBeNull();
    book.reserve('d3', 'car');
    expect(entryVerdict(YARD, book, 'car')).toEqual({
      reason: 'yard-full',
      detail: 'Bãi chờ is full (2 of 3 inside, 1 more on the way in)',
    });
  });

  it('exitVerdict lets out only the vehicle whose call is the oldest', () => {
    const book = new YardBook(YARD);
    const v = (plate: string, pairedPlate: string | null = null) => ({ plate, pairedPlate });
    expect(exitVerdict(YARD, book, v('29C12345'))).toMatchObject({ reason: 'not-called' });
    book.call({ callId: 'c1', plate: '云A12345', calledAt: 1, expiresAt: 10, calledBy: 'op' });
    book.call({ callId: 'c2', plate: '29C12345', calledAt: 2, expiresAt: 10, calledBy: 'op' });
    expect(exitVerdict(YARD, book, v('29C12345'))).toEqual({
      reason: 'not-called',
      detail: '29C12345 was called forward, but 云A12345 was called before it and has not left',
    });
    // The Chinese truck read by its Vietnamese plate, paired on the allow list.
    expect(exitVerdict(YARD, book, v('24LD01234', '云A12345'))).toBeNull();
    book.endCall('c1');
    expect(exitVerdict(YARD, book, v('29C12345'))).toBeNull();
    expect(exitVerdict({ ...YARD, callForward: { required: false, expiresMinutes: 30 } }, book, v('X'))).toBeNull();
  });
});
