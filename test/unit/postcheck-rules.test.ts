import { describe, expect, it } from 'vitest';
import type { Declaration } from '../../src/lane/deciding/list-entries.js';
import { passageVerdict } from '../../src/postcheck/postcheck-service.js';
import { reconcile, reconciliationCsv } from '../../src/postcheck/reconcile.js';
import { dayWindow, isDay, localDay } from '../../src/postcheck/site-day.js';
import type { PassageRecord } from '../../src/store/postcheck-records.js';

const HANOI = 'Asia/Ho_Chi_Minh';

describe("the site's local days", () => {
  it.each([
    ['2026-12-04T16:59:59.999Z', HANOI, '2026-12-04'],
    ['2026-12-04T17:00:00.000Z', HANOI, '2026-12-05'],
    ['2026-12-04T15:59:59.999Z', 'Asia/Shanghai', '2026-12-04'],
    ['2026-12-04T16:00:00.000Z', 'Asia/Shanghai', '2026-12-05'],
    ['2026-03-08T04:59:59.999Z', 'America/New_York', '2026-03-07'],
  ])('%s in %s is %s', (iso, zone, day) => {
    expect(localDay(Date.parse(iso), zone)).toBe(day);
  });

  it.each([
    ['2026-12-04', HANOI, '2026-12-03T17:00:00.000Z', '2026-12-04T17:00:00.000Z'],
    ['2026-12-04', 'Asia/Shanghai', '2026-12-03T16:00:00.000Z', '2026-12-04T16:00:00.000Z'],
    // 23 and 25 hours where the zone changes its clocks.
    ['2026-03-08', 'America/New_York', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z'],
    ['2026-11-01', 'America/New_York', '2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z'],
    ['2026-12-31', 'UTC', '2026-12-31T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
  ])('%s in %s runs from %s to %s', (day, zone, from, to) => {
    expect(dayWindow(day, zone)).toEqual({ from: Date.parse(from), to: Date.parse(to) });
  });

  it.each(['2026-02-29', '2026-13-01', '2026-1-01', 'yesterday', ''])('%j is not a day', (day) => {
    expect(isDay(day)).toBe(false);
    expect(() => dayWindow(day, HANOI)).toThrow(RangeError);
  });
});

function passage(over: Partial<PassageRecord>): PassageRecord {
  return {
    passageId: 'P1',
    decisionId: 'D1',
    laneId: 'in-1',
    plate: '29C12345',
    passedAt: Date.parse('2026-12-04T03:00:00Z'),
    day: '2026-12-04',
    status: 'declared',
    declarationId: null,
    flags: [],
    flagEventId: null,
    confidence: 0.97,
    votes: 4,
    ...over,
  };
}

function declaration(over: Partial<Declaration>): Declaration {
  return {
    id: 'DEC-1',
    plate: '29C12345',
    vehicleClass: 'car',
    validFrom: 0,
    validUntil: Date.parse('2026-12-04T10:00:00Z'),
    passages: 'one',
    amount: 150_000,
    currency: 'VND',
    feeRef: 'VNPAY-1',
    declaredAt: 0,
    ...over,
  };
}

describe('reconcile', () => {
  const window = dayWindow('2026-12-04', HANOI);
  const flag = (kind: string) => ({ kind, detail: `${kind} detail` });
  const passages = [
    passage({ passageId: 'P1', declarationId: 'DEC-1' }),
    passage({
      passageId: 'P2',
      plate: '30A11111',
      status: 'undeclared',
      flags: [flag('undeclared')],
      flagEventId: 'F2',
    }),
    passage({
      passageId: 'P3',
      declarationId: 'DEC-1',
      status: 'undeclared',
      flags: [flag('declaration-used')],
      flagEventId: 'F3',
    }),
    passage({
      passageId: 'P4',
      plate: '15C22222',
      declarationId: 'DEC-4',
      flags: [flag('class-mismatch')],
      flagEventId: 'F4',
    }),
  ];
  const using: Record<string, PassageRecord[]> = {
    // DEC-1's first use was the day before: "used twice" lists both, across days.
    'DEC-1': [passage({ passageId: 'P0', day: '2026-12-03' }), passages[0]!, passages[2]!],
    'DEC-4': [passages[3]!],
  };
  const report = reconcile({
    day: '2026-12-04',
    timeZone: HANOI,
    window,
    // The day is over: everything that expired in it counts.
    now: window.to + 1,
    passages,
    declarations: [
      declaration({ id: 'DEC-1' }),
      declaration({ id: 'DEC-4', plate: '15C22222' }),
      // Expired within the day, unused: listed. At the day's end exactly: in the day (until is exclusive).
      declaration({ id: 'DEC-5', plate: '51B06789', validUntil: window.to }),
      // Expired the day before, or in the day but used: not listed.
      declaration({ id: 'DEC-6', plate: '51B06780', validUntil: window.from }),
      declaration({ id: 'DEC-7', plate: '51B06781', validUntil: window.from + 1, passages: 'many' }),
    ],
    passagesUsing: (id) => (id === 'DEC-7' ? [passage({ passageId: 'P9' })] : (using[id] ?? [])),
  });

  it('counts the passages by what the post-check must look at', () => {
    expect(report.totals).toEqual({
      passages: 4,
      declared: 2,
      undeclared: 2,
      flagged: 3,
      mismatches: 1,
      declarationsUsedTwice: 1,
      expiredUnused: 1,
    });
    expect(report.undeclared.map((p) => [p.passageId, p.plate])).toEqual([
      ['P2', '30A11111'],
      ['P3', '29C12345'],
    ]);
    expect(report.mismatches.map((p) => p.passageId)).toEqual(['P4']);
    expect(report.flagged.map((p) => p.flagEventId)).toEqual(['F2', 'F3', 'F4']);
  });

  it('lists a declaration used beyond what it covers with every passage on it, and those that expired unused', () => {
    expect(report.usedTwice).toEqual([
      {
        declarationId: 'DEC-1',
        plate: '29C12345',
        passages: [
          { passageId: 'P0', passedAt: passages[0]!.passedAt, laneId: 'in-1' },
          { passageId: 'P1', passedAt: passages[0]!.passedAt, laneId: 'in-1' },
          { passageId: 'P3', passedAt: passages[0]!.passedAt, laneId: 'in-1' },
        ],
      },
    ]);
    expect(report.expiredUnused.map((d) => d.declarationId)).toEqual(['DEC-5']);
  });

  it('counts as expired today only what has expired by now', () => {
    const today = reconcile({
      day: '2026-12-04',
      timeZone: HANOI,
      window,
      now: window.from + 3_600_000,
      passages: [],
      declarations: [
        declaration({ id: 'GONE', validUntil: window.from + 60_000 }),
        declaration({ id: 'LATER', validUntil: window.from + 7_200_000 }),
      ],
      passagesUsing: () => [],
    });
    expect(today.expiredUnused.map((d) => d.declarationId)).toEqual(['GONE']);
  });

  it('writes the flagged passages as CSV a spreadsheet cannot mistake for formulas', () => {
    const csv = reconciliationCsv({
      ...report,
      flagged: [{ ...report.flagged[0]!, plate: '=HYPERLINK("x")', flags: [{ kind: 'undeclared', detail: 'a, "b"' }] }],
    });
    const [header, row] = csv.split('\r\n');
    expect(header).toBe(
      'day,passed_at,lane,plate,flags,declaration,confidence,votes,passage_event,decision_event,flag_event,detail',
    );
    expect(row).toBe(
      `2026-12-04,2026-12-04T03:00:00.000Z,in-1,"'=HYPERLINK(""x"")",undeclared,,0.97,4,P2,D1,F2,"a, ""b"""`,
    );
  });
});

describe('passageVerdict: what a passage is for the post-check, from its decision', () => {
  const facts = (
    reason: string,
    more: { declarationId?: string; flags?: { kind: string; detail: string }[] } = {},
  ) => ({
    reason,
    declarationId: more.declarationId ?? null,
    flags: more.flags ?? [],
    confidence: 0.9,
    votes: 3,
  });
  it.each([
    ['declared', facts('declared', { declarationId: 'D' }), 'declared', [], 'D'],
    [
      'declared, class mismatch',
      facts('declared', { declarationId: 'D', flags: [{ kind: 'class-mismatch', detail: 'x' }] }),
      'declared',
      ['class-mismatch'],
      'D',
    ],
    [
      'undeclared (post-check)',
      facts('undeclared', { flags: [{ kind: 'undeclared', detail: 'x' }] }),
      'undeclared',
      ['undeclared'],
      null,
    ],
    ['not-declared, let through by the operator', facts('not-declared'), 'undeclared', ['undeclared'], null],
    [
      'declaration-used, let through by the operator',
      facts('declaration-used', { declarationId: 'D' }),
      'undeclared',
      ['declaration-used'],
      'D',
    ],
    ['lane-busy with a declaration found', facts('lane-busy', { declarationId: 'D' }), 'declared', [], 'D'],
    ['low-confidence, let through', facts('low-confidence'), 'undeclared', ['undeclared'], null],
    ['opened by hand, no decision', null, 'undeclared', ['undeclared'], null],
  ] as const)('%s', (_case, f, status, kinds, declarationId) => {
    const verdict = passageVerdict(f, '29C12345');
    expect(verdict.status).toBe(status);
    expect(verdict.flags.map((x) => x.kind)).toEqual(kinds);
    expect(verdict.declarationId).toBe(declarationId);
  });
});
