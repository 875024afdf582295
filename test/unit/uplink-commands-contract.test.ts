import { describe, expect, it } from 'vitest';
import {
  commandRequestSchema,
  describeIssues,
  listPushSchema,
  plateKeyProblems,
  replySchema,
  timestampMs,
} from '../../src/uplink/commands-contract.js';

const ok = { id: 'c-1', ts: 1767225600000 };

describe('commandRequestSchema', () => {
  it.each([
    ok,
    { ...ok, ts: '2026-01-01T07:00:00+07:00' },
    { ...ok, ts: '2026-01-01T00:00:00.123Z', expiresAt: 1767225660000 },
    { ...ok, laneId: 'entry-1', args: { open: true } },
    { ...ok, id: 'x'.repeat(64) },
    { ...ok, fromANewerCentral: 1 },
  ])('accepts %j', (input) => {
    expect(commandRequestSchema.safeParse(input).success).toBe(true);
  });

  it.each([
    [{ ts: ok.ts }, 'id: '],
    [{ ...ok, id: '' }, 'id: '],
    [{ ...ok, id: 'x'.repeat(65) }, 'id: '],
    [{ ...ok, id: 7 }, 'id: '],
    [{ id: 'c-1' }, 'ts: '],
    [{ ...ok, ts: -1 }, 'ts: '],
    [{ ...ok, ts: 1.5 }, 'ts: '],
    [{ ...ok, ts: 'yesterday' }, 'ts: '],
    [{ ...ok, ts: '2026-01-01T00:00:00' }, 'ts: '], // no offset: ambiguous
    [{ ...ok, expiresAt: 'soon' }, 'expiresAt: '],
    [{ ...ok, laneId: 'Entry 1' }, 'laneId: expected a lane id (slug)'],
    [{ ...ok, args: [1] }, 'args: '],
    [[ok], '(payload): '],
    ['ping', '(payload): '],
  ])('refuses %j, naming the field', (input, problem) => {
    const result = commandRequestSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(describeIssues(result.error!)).toContain(problem);
  });

  it('reads both timestamp forms as epoch ms', () => {
    expect(timestampMs(1767225600000)).toBe(1767225600000);
    expect(timestampMs('2026-01-01T07:00:00+07:00')).toBe(Date.UTC(2026, 0, 1));
  });
});

describe('listPushSchema', () => {
  it.each([
    { kind: 'full', version: 1, entries: [] },
    {
      kind: 'full',
      version: 3,
      entries: [{ key: '29C12345' }, { key: '云A12345', reason: 'stolen', until: 1767225600000 }],
    },
    { kind: 'delta', fromVersion: 1, toVersion: 2, add: [{ key: '51F99999' }], remove: ['29C12345'] },
    { kind: 'delta', fromVersion: 4, toVersion: 9 },
  ])('accepts %j', (input) => {
    expect(listPushSchema.safeParse(input).success).toBe(true);
  });

  it.each([
    [{ kind: 'replace', version: 1, entries: [] }, 'kind'],
    [{ kind: 'full', version: 0, entries: [] }, 'version: '],
    [{ kind: 'full', version: 2.5, entries: [] }, 'version: '],
    [{ kind: 'full', version: 1 }, 'entries: '],
    [{ kind: 'full', version: 1, entries: [{ key: '' }] }, 'entries.0.key: '],
    [{ kind: 'full', version: 1, entries: [{ key: '29C 12345' }] }, 'entries.0.key: expected a canonical plate'],
    [{ kind: 'full', version: 1, entries: [{ key: '-D1' }] }, 'entries.0.key: '],
    [{ kind: 'full', version: 1, entries: [{ key: 'A'.repeat(65) }] }, 'entries.0.key: '],
    [
      { kind: 'full', version: 1, entries: [{ key: 'A', note: 'x'.repeat(2000) }] },
      'entries.0: entry is larger than 1024 bytes',
    ],
    [
      { kind: 'full', version: 1, entries: [{ key: 'A' }, { key: 'B' }, { key: 'A' }] },
      'entries.2: key "A" appears twice',
    ],
    [{ kind: 'delta', fromVersion: 2, toVersion: 2 }, 'toVersion: must be greater than fromVersion (2)'],
    [{ kind: 'delta', fromVersion: 0, toVersion: 2 }, 'fromVersion: '],
    [{ kind: 'delta', fromVersion: 1, toVersion: 2, remove: ['A', 'A'] }, 'remove.1: key "A" appears twice'],
    [{ kind: 'delta', fromVersion: 1, toVersion: 2, remove: [5] }, 'remove.0: '],
  ])('refuses %j, naming the field', (input, problem) => {
    const result = listPushSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(describeIssues(result.error!)).toContain(problem);
  });
});

describe('plateKeyProblems: the keys of the allow, deny and watch lists are canonical plates', () => {
  it.each([
    [{ kind: 'full', version: 1, entries: [{ key: '29c12345' }] }, ['entries.0.key: expected canonical plate text']],
    [
      { kind: 'full', version: 1, entries: [{ key: 'A'.repeat(17) }] },
      ['entries.0.key: expected canonical plate text'],
    ],
    [{ kind: 'full', version: 1, entries: [{ key: '29C12345' }, { key: 'D-0001' }] }, ['entries.1.key: ']],
    [
      { kind: 'delta', fromVersion: 1, toVersion: 2, add: [{ key: 'x.1' }], remove: ['29C12345', 'D-2'] },
      ['add.0.key: ', 'remove.1: '],
    ],
    [{ kind: 'full', version: 1, entries: [{ key: '云A12345' }, { key: '29C12345' }] }, []],
  ])('%j', (input, problems) => {
    const found = plateKeyProblems(listPushSchema.parse(input));
    expect(found).toHaveLength(problems.length);
    problems.forEach((p, i) => expect(found[i]).toContain(p));
  });
});

describe('replySchema', () => {
  it.each([
    [{ status: 'ok', id: 'c-1', data: { bootId: 'b' } }, true],
    [{ status: 'ok' }, true],
    [{ status: 'error', error: { code: 'version-mismatch', message: 'm', currentVersion: 3 } }, true],
    [{ status: 'error', error: { code: 'teapot', message: 'm' } }, false],
    [{ status: 'error' }, false],
    [{ status: 'maybe' }, false],
  ])('%j valid: %s', (input, valid) => {
    expect(replySchema.safeParse(input).success).toBe(valid);
  });
});
