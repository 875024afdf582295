import { describe, expect, it } from 'vitest';
import { buildListIndex, otherPlateOf } from '../../src/lane/deciding/list-entries.js';
import type { StoredList } from '../../src/store/lists.js';

const list = (entries: StoredList['entries'], version = 3, receivedAt = 1_000): StoredList => ({
  version,
  receivedAt,
  entries,
});
const JAN_1_HANOI = Date.parse('2026-01-01T00:00:00+07:00');

describe('buildListIndex', () => {
  it('indexes each list by key, with version and arrival; a list never received has no meta', () => {
    const { index, problems } = buildListIndex({
      allow: list([{ key: '29C12345', reason: 'local' }, { key: '云A12345' }], 7, 5_000),
      deny: list([{ key: '59P166480', reason: 'stolen', source: 'border-guard' }], 2, 6_000),
    });
    expect(problems).toEqual([]);
    expect([...index.allow.keys()]).toEqual(['29C12345', '云A12345']);
    expect(index.allow.get('29C12345')).toEqual({ key: '29C12345', reason: 'local' });
    expect(index.deny.get('59P166480')).toEqual({ key: '59P166480', reason: 'stolen', source: 'border-guard' });
    expect(index.watch.size).toBe(0);
    expect(index.meta).toEqual({
      allow: { version: 7, receivedAt: 5_000 },
      deny: { version: 2, receivedAt: 6_000 },
      watch: null,
      declarations: null,
    });
  });

  it('reads every allow field; validity as epoch ms from a number or ISO with an offset', () => {
    const { index, problems } = buildListIndex({
      allow: list([
        {
          key: '云AD12345',
          validFrom: '2026-01-01T00:00:00+07:00',
          validUntil: JAN_1_HANOI + 86_400_000,
          reason: 'permit',
          lanes: ['kth-in'],
          direction: 'entry',
          pairedPlate: 'T2912345',
          permitNo: 'GP-2026-001',
        },
      ]),
    });
    expect(problems).toEqual([]);
    // Unknown fields (permitNo) stay in the store and are not copied into the index.
    expect(index.allow.get('云AD12345')).toEqual({
      key: '云AD12345',
      validFrom: JAN_1_HANOI,
      validUntil: JAN_1_HANOI + 86_400_000,
      reason: 'permit',
      lanes: ['kth-in'],
      direction: 'entry',
      pairedPlate: 'T2912345',
    });
  });

  it.each([
    [{ key: '29C12345', validUntil: '2026-01-01' }, 'validUntil'],
    [{ key: '29C12345', validFrom: '2026-01-01T00:00:00' }, 'validFrom'],
    [{ key: '29C12345', validFrom: -1 }, 'validFrom'],
    [{ key: '29C12345', validFrom: 2_000, validUntil: 2_000 }, 'validUntil: validUntil must be after validFrom'],
    [{ key: '29C12345', direction: 'in' }, 'direction'],
    [{ key: '29C12345', lanes: [] }, 'lanes'],
    [{ key: '29C12345', lanes: ['Lane 1'] }, 'lanes.0: expected a lane id'],
    [{ key: '29C12345', pairedPlate: '29C-123.45' }, 'pairedPlate: expected canonical plate text'],
    [{ key: '29C12345', reason: 7 }, 'reason'],
  ])('ignores an allow entry whose fields do not parse, and says which: %j', (entry, field) => {
    const { index, problems } = buildListIndex({ allow: list([entry, { key: '59P166480' }]) });
    expect([...index.allow.keys()]).toEqual(['59P166480']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ list: 'allow', key: '29C12345', effect: 'ignored' });
    expect(problems[0]!.message.startsWith(field), problems[0]!.message).toBe(true);
  });

  it.each(['deny', 'watch'] as const)(
    'keeps a %s entry whose fields do not parse, by key only, applying until removed',
    (name) => {
      const { index, problems } = buildListIndex({
        [name]: list([{ key: '29C12345', reason: 'stolen', validUntil: 'tomorrow' }]),
      });
      expect(index[name].get('29C12345')).toEqual({ key: '29C12345' });
      expect(problems).toEqual([
        { list: name, key: '29C12345', effect: 'kept', message: expect.stringMatching(/^validUntil: /) },
      ]);
    },
  );

  it('reads deny and watch fields', () => {
    const { index } = buildListIndex({
      watch: list([{ key: '云A12345', reason: 'inspection', source: 'customs', validUntil: '2026-02-01T00:00:00Z' }]),
    });
    expect(index.watch.get('云A12345')).toEqual({
      key: '云A12345',
      reason: 'inspection',
      source: 'customs',
      validUntil: Date.parse('2026-02-01T00:00:00Z'),
    });
  });
});

describe('otherPlateOf', () => {
  it.each([
    ['the read is the entry’s own plate', { key: 'T2513579', pairedPlate: '云A68420' }, 'T2513579', '云A68420'],
    ['the entry was found through its pair', { key: 'T2513579', pairedPlate: '云A68420' }, '云A68420', 'T2513579'],
    ['an entry with no pair', { key: '29C12345' }, '29C12345', null],
  ])('%s', (_case, entry, read, other) => {
    expect(otherPlateOf(entry, read)).toBe(other);
  });
});
