import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type LaneDecisions, laneDecisionsSchema } from '../../src/config/decisions.js';
import { decide, type Decision, type DecisionInput } from '../../src/lane/deciding/decide.js';
import { decisionEvent } from '../../src/lane/deciding/decision-event.js';
import { DECISION_REASONS, REASON_OUTCOME, type ReasonCode } from '../../src/lane/deciding/decision-reasons.js';
import { buildListIndex } from '../../src/lane/deciding/list-entries.js';
import { localMinutes, withinHours } from '../../src/lane/deciding/hours.js';
import { parsePlate } from '../../src/plates/parse.js';
import type { ListEntry } from '../../src/store/lists.js';

// Plates as the grammar reads them off real layouts.
const VN_CAR = parsePlate(['29C-123.45']); // 29C12345, car
const VN_CAR_OFF_BY_ONE = parsePlate(['29C-123.46']); // 29C12346
const VN_MOTORBIKE = parsePlate(['59-P1', '664.80']); // 59P166480
const VN_TEMPORARY = parsePlate(['T29-123.45']); // T2912345
const VN_TEMPORARY_OTHER = parsePlate(['T29-543.21']); // T2954321
const CN_ORDINARY = parsePlate(['云A·12345']); // 云A12345
const CN_NEW_ENERGY = parsePlate(['云A·D12345']); // 云AD12345
const REJECTED = parsePlate(['VN29A12345']); // the ASEAN strip read into the plate

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 10:00 in Hanoi. */
const NOW = Date.parse('2026-03-10T10:00:00+07:00');
const at = (local: string) => Date.parse(`2026-03-10T${local}:00+07:00`);

type Name = 'allow' | 'deny' | 'watch' | 'declarations';
interface Lists {
  allow?: ListEntry[];
  deny?: ListEntry[];
  watch?: ListEntry[];
  declarations?: ListEntry[];
  /** When each list arrived; default an hour before NOW; null: never received. */
  receivedAt?: Partial<Record<Name, number | null>>;
}

const DEFAULT_ALLOW: ListEntry[] = [
  { key: '29C12345', reason: 'local' },
  { key: '59P166480', reason: 'fee' },
  { key: '云A12345', reason: 'permit' },
];

function lists(l: Lists = {}) {
  const stored = (name: Name, entries: ListEntry[]) => {
    const receivedAt = l.receivedAt?.[name] === undefined ? NOW - HOUR : l.receivedAt[name];
    return receivedAt === null
      ? undefined
      : { version: { allow: 11, deny: 12, watch: 13, declarations: 14 }[name], receivedAt, entries };
  };
  const { index, problems } = buildListIndex({
    allow: stored('allow', l.allow ?? DEFAULT_ALLOW),
    deny: stored('deny', l.deny ?? []),
    watch: stored('watch', l.watch ?? []),
    declarations: stored('declarations', l.declarations ?? []),
  });
  expect(problems).toEqual([]);
  return index;
}

interface Case {
  name: string;
  plate?: ReturnType<typeof parsePlate>;
  confidence?: number;
  others?: ReturnType<typeof parsePlate>[];
  lists?: Lists;
  rules?: Partial<LaneDecisions>;
  lane?: DecisionInput['lane'];
  now?: number;
  /** Passages already made on each declaration. */
  uses?: Record<string, number>;
  reason: ReasonCode;
}

function run(c: Omit<Case, 'name' | 'reason'>): Decision {
  return decide({
    read: { plate: c.plate ?? VN_CAR, confidence: c.confidence ?? 0.95, votes: 4 },
    ...(c.others ? { otherReads: c.others } : {}),
    lane: c.lane ?? { id: 'kth-in', direction: 'entry' },
    rules: { ...laneDecisionsSchema.parse({}), ...c.rules },
    lists: lists(c.lists),
    now: c.now ?? NOW,
    declarationUses: (id) => c.uses?.[id] ?? 0,
  });
}

/** A fee declaration as central pushes it: one passage of a car, valid today. */
const declared = (entry: Partial<ListEntry> = {}): ListEntry => ({
  key: 'D-0001',
  plate: '29C12345',
  vehicleClass: 'car',
  validFrom: at('00:00'),
  validUntil: at('00:00') + DAY,
  passages: 'one',
  amount: 150_000,
  feeRef: 'VNPAY-8812',
  declaredAt: at('00:00') - HOUR,
  ...entry,
});
const POST_CHECK: Partial<LaneDecisions> = { declarations: 'post-check' };
const REQUIRED: Partial<LaneDecisions> = { declarations: 'required' };

const permit = (entry: Partial<ListEntry>) => ({
  allow: [...DEFAULT_ALLOW.filter((e) => e.key !== '云AD12345'), { key: '云AD12345', reason: 'permit', ...entry }],
});

const CASES: Case[] = [
  // Each rule on its own.
  { name: 'an allowed plate opens', reason: 'allowed' },
  { name: 'an allowed Chinese plate opens', plate: CN_ORDINARY, reason: 'allowed' },
  {
    name: 'a plate on the deny list is denied',
    lists: { deny: [{ key: '29C12345', reason: 'stolen', source: 'border-guard' }] },
    reason: 'deny-list',
  },
  {
    name: 'a plate on the watch list is denied',
    lists: { watch: [{ key: '29C12345', reason: 'inspection', source: 'customs' }] },
    reason: 'watch-list',
  },
  { name: 'a read the grammar rejected is held', plate: REJECTED, reason: 'unreadable' },
  { name: 'a read below minConfidence is held', confidence: 0.84, reason: 'low-confidence' },
  { name: 'a read at exactly minConfidence opens', confidence: 0.85, reason: 'allowed' },
  { name: 'a read with no confidence (NaN) is held', confidence: Number.NaN, reason: 'low-confidence' },
  {
    name: 'an allow list older than listsMaxAgeMs holds',
    lists: { receivedAt: { allow: NOW - DAY - 1 } },
    reason: 'lists-stale',
  },
  {
    name: 'a list exactly listsMaxAgeMs old is still fresh',
    lists: { receivedAt: { allow: NOW - DAY, deny: NOW - DAY, watch: NOW - DAY } },
    reason: 'allowed',
  },
  { name: 'a watch list never received holds', lists: { receivedAt: { watch: null } }, reason: 'lists-stale' },
  { name: 'a stale deny list holds', lists: { receivedAt: { deny: NOW - 2 * DAY } }, reason: 'lists-stale' },
  {
    name: 'stale lists with failClosed false: decided from them',
    lists: { receivedAt: { allow: NOW - 2 * DAY } },
    rules: { failClosed: false },
    reason: 'allowed',
  },
  {
    name: 'a kind not allowed on the lane is held',
    rules: { kindsAllowed: ['ordinary', 'new-energy', 'temporary'] },
    reason: 'kind-not-allowed',
  },
  {
    name: 'a motorbike on a lane for cars is held',
    plate: VN_MOTORBIKE,
    rules: { kindsAllowed: ['car', 'commercial'] },
    reason: 'kind-not-allowed',
  },
  { name: 'a plate not on any list is held', plate: VN_TEMPORARY, reason: 'unknown-plate' },
  {
    name: 'one character off an allowed plate is held, never opened',
    plate: VN_CAR_OFF_BY_ONE,
    reason: 'unknown-plate',
  },
  {
    name: 'a permit from now + 1 ms is not yet valid',
    plate: CN_NEW_ENERGY,
    lists: permit({ validFrom: NOW + 1 }),
    reason: 'permit-not-yet-valid',
  },
  {
    name: 'a permit from exactly now opens (validFrom inclusive)',
    plate: CN_NEW_ENERGY,
    lists: permit({ validFrom: NOW }),
    reason: 'allowed',
  },
  {
    name: 'a permit until exactly now has expired (validUntil exclusive)',
    plate: CN_NEW_ENERGY,
    lists: permit({ validUntil: NOW }),
    reason: 'permit-expired',
  },
  {
    name: 'a permit until now + 1 ms opens',
    plate: CN_NEW_ENERGY,
    lists: permit({ validFrom: NOW - DAY, validUntil: NOW + 1 }),
    reason: 'allowed',
  },
  {
    name: 'a permit in ISO with the Hanoi offset',
    plate: CN_NEW_ENERGY,
    lists: permit({ validFrom: '2026-03-10T00:00:00+07:00', validUntil: '2026-03-11T00:00:00+07:00' }),
    reason: 'allowed',
  },
  {
    name: 'a permit that ended at midnight Hanoi time',
    plate: CN_NEW_ENERGY,
    lists: permit({ validUntil: '2026-03-10T00:00:00+07:00' }),
    reason: 'permit-expired',
  },
  {
    name: 'an entry for other lanes is held',
    lists: { allow: [{ key: '29C12345', lanes: ['kth-out', 'kth-in-2'] }] },
    reason: 'wrong-lane',
  },
  {
    name: 'an entry for this lane opens',
    lists: { allow: [{ key: '29C12345', lanes: ['kth-out', 'kth-in'] }] },
    reason: 'allowed',
  },
  {
    name: 'an exit-only entry on an entry lane is held',
    lists: { allow: [{ key: '29C12345', direction: 'exit' }] },
    reason: 'wrong-direction',
  },
  {
    name: 'an exit-only entry on an exit lane opens',
    lists: { allow: [{ key: '29C12345', direction: 'exit' }] },
    lane: { id: 'kth-out', direction: 'exit' },
    reason: 'allowed',
  },

  // VN/CN pairing.
  {
    name: 'CN plate with its paired VN temporary plate opens',
    plate: CN_NEW_ENERGY,
    others: [VN_TEMPORARY],
    lists: permit({ pairedPlate: 'T2912345' }),
    reason: 'allowed',
  },
  {
    name: 'CN plate with another VN plate is held',
    plate: CN_NEW_ENERGY,
    others: [VN_TEMPORARY_OTHER],
    lists: permit({ pairedPlate: 'T2912345' }),
    reason: 'pairing-mismatch',
  },
  {
    name: 'CN plate with a VN plate and no pairing on its entry is held',
    plate: CN_NEW_ENERGY,
    others: [VN_TEMPORARY],
    lists: permit({}),
    reason: 'pairing-mismatch',
  },
  {
    name: "the pairing may be named on the other plate's entry",
    plate: CN_NEW_ENERGY,
    others: [VN_TEMPORARY],
    lists: { allow: [{ key: '云AD12345' }, { key: 'T2912345', pairedPlate: '云AD12345' }] },
    reason: 'allowed',
  },
  {
    name: 'VN temporary plate read first, paired with the CN plate',
    plate: VN_TEMPORARY,
    others: [CN_NEW_ENERGY],
    lists: { allow: [{ key: 'T2912345', pairedPlate: '云AD12345' }] },
    reason: 'allowed',
  },
  {
    name: 'CN plate read first, the permit listed under its paired VN plate',
    plate: CN_NEW_ENERGY,
    others: [VN_TEMPORARY],
    lists: { allow: [{ key: 'T2912345', pairedPlate: '云AD12345' }] },
    reason: 'allowed',
  },
  {
    name: "the paired plate's permit expired",
    plate: CN_NEW_ENERGY,
    others: [VN_TEMPORARY],
    lists: { allow: [{ key: 'T2912345', pairedPlate: '云AD12345', validUntil: NOW - DAY }] },
    reason: 'permit-expired',
  },
  {
    name: "another plate's entry that pairs with a third plate is not this vehicle's",
    plate: CN_NEW_ENERGY,
    others: [VN_TEMPORARY],
    lists: { allow: [{ key: 'T2912345', pairedPlate: '云AD99999' }] },
    reason: 'unknown-plate',
  },
  {
    name: 'a paired entry does not open a CN plate read alone',
    plate: CN_NEW_ENERGY,
    lists: { allow: [{ key: 'T2912345', pairedPlate: '云AD12345' }] },
    reason: 'unknown-plate',
  },
  {
    name: 'only the CN plate seen: nothing to pair',
    plate: CN_NEW_ENERGY,
    lists: permit({ pairedPlate: 'T2912345' }),
    reason: 'allowed',
  },
  { name: 'two VN plates on one vehicle are not a pairing question', others: [VN_MOTORBIKE], reason: 'allowed' },
  {
    name: 'a rejected other read is not paired',
    plate: CN_NEW_ENERGY,
    others: [REJECTED],
    lists: permit({}),
    reason: 'allowed',
  },

  // Precedence conflicts.
  {
    name: 'allowed but on the deny list: deny',
    lists: { allow: DEFAULT_ALLOW, deny: [{ key: '29C12345' }] },
    reason: 'deny-list',
  },
  {
    name: 'on deny and watch lists: deny-list',
    lists: { deny: [{ key: '29C12345' }], watch: [{ key: '29C12345' }] },
    reason: 'deny-list',
  },
  {
    name: 'a deny entry until exactly now no longer applies',
    lists: { deny: [{ key: '29C12345', validUntil: NOW }] },
    reason: 'allowed',
  },
  {
    name: 'a deny entry until now + 1 ms still applies',
    lists: { deny: [{ key: '29C12345', validUntil: NOW + 1 }] },
    reason: 'deny-list',
  },
  {
    name: "the vehicle's other plate on the deny list: deny",
    plate: CN_ORDINARY,
    others: [VN_TEMPORARY],
    lists: { deny: [{ key: 'T2912345' }] },
    reason: 'deny-list',
  },
  {
    name: "the vehicle's other plate on the watch list: deny",
    plate: CN_ORDINARY,
    others: [VN_TEMPORARY],
    lists: { watch: [{ key: 'T2912345' }] },
    reason: 'watch-list',
  },
  {
    name: 'denied even when read with low confidence',
    confidence: 0.3,
    lists: { deny: [{ key: '29C12345' }] },
    reason: 'deny-list',
  },
  {
    name: 'denied even with stale lists',
    lists: { deny: [{ key: '29C12345' }], receivedAt: { deny: NOW - 3 * DAY } },
    reason: 'deny-list',
  },
  {
    name: 'an unreadable read that equals a denied key: deny',
    plate: REJECTED,
    lists: { deny: [{ key: 'VN29A12345' }] },
    reason: 'deny-list',
  },
  { name: 'unreadable before low confidence', plate: REJECTED, confidence: 0.2, reason: 'unreadable' },
  {
    name: 'unreadable even when its text is on the allow list',
    plate: REJECTED,
    lists: { allow: [{ key: 'VN29A12345' }] },
    reason: 'unreadable',
  },
  {
    name: 'low confidence before stale lists',
    confidence: 0.5,
    lists: { receivedAt: { allow: null } },
    reason: 'low-confidence',
  },
  {
    name: 'allowed but stale lists with failClosed: hold',
    lists: { receivedAt: { allow: NOW - 2 * DAY } },
    reason: 'lists-stale',
  },
  {
    name: 'stale lists before a kind not allowed',
    rules: { kindsAllowed: ['ordinary'] },
    lists: { receivedAt: { deny: null } },
    reason: 'lists-stale',
  },
  {
    name: 'stale lists and failClosed false, plate unknown: unknown-plate',
    plate: VN_TEMPORARY,
    rules: { failClosed: false },
    lists: { receivedAt: { allow: null } },
    reason: 'unknown-plate',
  },
  {
    name: 'a kind not allowed before outside hours',
    rules: { kindsAllowed: ['ordinary'], hours: [{ from: '06:00', to: '08:00' }] },
    reason: 'kind-not-allowed',
  },
  {
    name: 'outside hours before an unknown plate',
    plate: VN_TEMPORARY,
    rules: { hours: [{ from: '06:00', to: '08:00' }] },
    reason: 'outside-hours',
  },
  {
    name: 'not-yet-valid before wrong lane',
    plate: CN_NEW_ENERGY,
    lists: permit({ validFrom: NOW + HOUR, lanes: ['kth-out'] }),
    reason: 'permit-not-yet-valid',
  },
  {
    name: 'expired before wrong direction',
    plate: CN_NEW_ENERGY,
    lists: permit({ validUntil: NOW - HOUR, direction: 'exit' }),
    reason: 'permit-expired',
  },
  {
    name: 'wrong lane before pairing',
    plate: CN_NEW_ENERGY,
    others: [VN_TEMPORARY_OTHER],
    lists: permit({ lanes: ['kth-out'], pairedPlate: 'T2912345' }),
    reason: 'wrong-lane',
  },

  // Hours in the lane's time zone.
  {
    name: '05:59 before 06:00-22:00 is outside',
    now: at('05:59'),
    rules: { hours: [{ from: '06:00', to: '22:00' }] },
    reason: 'outside-hours',
  },
  {
    name: '06:00 opens (from inclusive)',
    now: at('06:00'),
    rules: { hours: [{ from: '06:00', to: '22:00' }] },
    reason: 'allowed',
  },
  { name: '21:59 opens', now: at('21:59'), rules: { hours: [{ from: '06:00', to: '22:00' }] }, reason: 'allowed' },
  {
    name: '22:00 is outside (to exclusive)',
    now: at('22:00'),
    rules: { hours: [{ from: '06:00', to: '22:00' }] },
    reason: 'outside-hours',
  },
  {
    name: '23:30 in 22:00-06:00 (across midnight) opens',
    now: at('23:30'),
    rules: { hours: [{ from: '22:00', to: '06:00' }] },
    reason: 'allowed',
  },
  {
    name: '00:00 in 22:00-06:00 opens',
    now: at('00:00'),
    rules: { hours: [{ from: '22:00', to: '06:00' }] },
    reason: 'allowed',
  },
  {
    name: '05:59 in 22:00-06:00 opens',
    now: at('05:59'),
    rules: { hours: [{ from: '22:00', to: '06:00' }] },
    reason: 'allowed',
  },
  {
    name: '06:00 after 22:00-06:00 is outside',
    now: at('06:00'),
    rules: { hours: [{ from: '22:00', to: '06:00' }] },
    reason: 'outside-hours',
  },
  {
    name: 'noon outside 22:00-06:00',
    now: at('12:00'),
    rules: { hours: [{ from: '22:00', to: '06:00' }] },
    reason: 'outside-hours',
  },
  {
    name: 'the second of two windows',
    now: at('14:00'),
    rules: {
      hours: [
        { from: '07:00', to: '11:30' },
        { from: '13:30', to: '17:00' },
      ],
    },
    reason: 'allowed',
  },
  {
    name: 'between two windows',
    now: at('12:00'),
    rules: {
      hours: [
        { from: '07:00', to: '11:30' },
        { from: '13:30', to: '17:00' },
      ],
    },
    reason: 'outside-hours',
  },
  {
    name: '05:30 Hanoi is 06:30 in Beijing time: open in Asia/Shanghai',
    now: at('05:30'),
    rules: { hours: [{ from: '06:00', to: '22:00' }], timeZone: 'Asia/Shanghai' },
    reason: 'allowed',
  },
  {
    name: '05:30 Hanoi is outside 06:00-22:00 in Asia/Ho_Chi_Minh',
    now: at('05:30'),
    rules: { hours: [{ from: '06:00', to: '22:00' }], timeZone: 'Asia/Ho_Chi_Minh' },
    reason: 'outside-hours',
  },

  // Fee declarations (declarations.ts), by lane mode.
  { name: 'declarations off: an undeclared allowed plate opens', lists: { declarations: [] }, reason: 'allowed' },
  { name: 'post-check: declared opens', rules: POST_CHECK, lists: { declarations: [declared()] }, reason: 'declared' },
  { name: 'post-check: undeclared opens, flagged', rules: POST_CHECK, reason: 'undeclared' },
  {
    name: 'post-check: an unlisted, undeclared plate opens, flagged (no unknown-plate)',
    plate: VN_CAR_OFF_BY_ONE,
    rules: POST_CHECK,
    reason: 'undeclared',
  },
  {
    name: 'post-check: an unlisted plate with a declaration opens',
    plate: VN_CAR_OFF_BY_ONE,
    rules: POST_CHECK,
    lists: { declarations: [declared({ plate: '29C12346' })] },
    reason: 'declared',
  },
  { name: 'required: undeclared is held', rules: REQUIRED, reason: 'not-declared' },
  {
    name: 'required: a one-passage declaration used already is held',
    rules: REQUIRED,
    lists: { declarations: [declared()] },
    uses: { 'D-0001': 1 },
    reason: 'declaration-used',
  },
  {
    name: 'post-check: a one-passage declaration used already opens, flagged',
    rules: POST_CHECK,
    lists: { declarations: [declared()] },
    uses: { 'D-0001': 1 },
    reason: 'undeclared',
  },
  {
    name: 'required: a many-passage declaration used already opens',
    rules: REQUIRED,
    lists: { declarations: [declared({ passages: 'many' })] },
    uses: { 'D-0001': 3 },
    reason: 'declared',
  },
  {
    name: 'required: validFrom is inclusive',
    rules: REQUIRED,
    lists: { declarations: [declared({ validFrom: NOW })] },
    reason: 'declared',
  },
  {
    name: 'required: a declaration valid from a moment later is held',
    rules: REQUIRED,
    lists: { declarations: [declared({ validFrom: NOW + 1 })] },
    reason: 'not-declared',
  },
  {
    name: 'required: validUntil is exclusive',
    rules: REQUIRED,
    lists: { declarations: [declared({ validUntil: NOW })] },
    reason: 'not-declared',
  },
  {
    name: 'required: a Chinese truck declared under its Vietnamese plate, read by its Chinese plate, opens',
    plate: CN_NEW_ENERGY,
    others: [VN_TEMPORARY],
    rules: REQUIRED,
    lists: {
      ...permit({ pairedPlate: 'T2912345' }),
      declarations: [declared({ plate: 'T2912345', pairedPlate: '云AD12345' })],
    },
    reason: 'declared',
  },
  {
    name: 'required: the deny list still wins over a declaration',
    rules: REQUIRED,
    lists: { deny: [{ key: '29C12345' }], declarations: [declared()] },
    reason: 'deny-list',
  },
  {
    name: 'required: an expired permit on the allow list still holds a declared plate',
    rules: REQUIRED,
    lists: { allow: [{ key: '29C12345', validUntil: NOW - 1 }], declarations: [declared()] },
    reason: 'permit-expired',
  },
  {
    name: 'post-check: a declarations list never received holds (failClosed)',
    rules: POST_CHECK,
    lists: { receivedAt: { declarations: null } },
    reason: 'lists-stale',
  },
  {
    name: 'declarations off: a declarations list never received is no matter',
    lists: { receivedAt: { declarations: null } },
    reason: 'allowed',
  },
];

describe('decide: fee declarations', () => {
  it('flags a declaration for a car on a commercial plate, and a Chinese plate on a Vietnamese-only one', () => {
    const commercial = parsePlate(['29C-123.45'], { color: 'yellow' });
    expect(commercial.kind).toBe('commercial');
    const decision = run({
      plate: commercial,
      rules: POST_CHECK,
      lists: { declarations: [declared({ plate: commercial.text })] },
    });
    expect(decision).toMatchObject({
      action: 'open',
      reason: 'declared',
      declaration: { id: 'D-0001' },
      postcheck: [
        { kind: 'class-mismatch', detail: `D-0001 was declared for a car; ${commercial.text} is a commercial plate` },
      ],
    });
    const chinese = run({
      plate: CN_ORDINARY,
      rules: REQUIRED,
      lists: { declarations: [declared({ plate: '云A12345', countries: ['VN'] })] },
    });
    expect(chinese).toMatchObject({ reason: 'declared', postcheck: [{ kind: 'country-mismatch' }] });
  });

  it('says what the post-check needs in the undeclared detail and flag', () => {
    const expired = run({
      rules: POST_CHECK,
      lists: { declarations: [declared({ validUntil: NOW - HOUR })] },
    });
    expect(expired).toMatchObject({
      reason: 'undeclared',
      postcheck: [{ kind: 'undeclared' }],
    });
    expect(expired.detail).toContain('no valid fee declaration for 29C12345 (D-0001 expired 2026-03-10T02:00:00.000Z)');
    expect(expired.detail).toContain('29C12345 is allowed (local)');
    const used = run({ rules: POST_CHECK, lists: { declarations: [declared()] }, uses: { 'D-0001': 1 } });
    expect(used).toMatchObject({ declaration: { id: 'D-0001' }, postcheck: [{ kind: 'declaration-used' }] });
  });

  it('uses a pass for many passages before a one-passage ticket', () => {
    const decision = run({
      rules: REQUIRED,
      lists: { declarations: [declared({ key: 'D-ONE' }), declared({ key: 'D-MANY', passages: 'many' })] },
    });
    expect(decision.declaration?.id).toBe('D-MANY');
  });
});

describe('decide: one row per rule and per precedence conflict', () => {
  it.each(CASES)('$name → $reason', (c) => {
    const decision = run(c);
    expect(decision.reason).toBe(c.reason);
    expect(decision.action).toBe(REASON_OUTCOME[c.reason].action);
    expect(decision.alarm).toBe(REASON_OUTCOME[c.reason].alarm);
  });

  it('has a row for every reason code', () => {
    expect(new Set(CASES.map((c) => c.reason))).toEqual(new Set(DECISION_REASONS));
  });
});

describe('decide: what the result carries', () => {
  it('opens with the allow entry and its reason', () => {
    const decision = run({ plate: CN_ORDINARY });
    expect(decision).toEqual({
      action: 'open',
      reason: 'allowed',
      alarm: false,
      detail: '云A12345 is allowed (permit)',
      matched: { list: 'allow', entry: { key: '云A12345', reason: 'permit' } },
      hints: {},
      listVersions: { allow: 11, deny: 12, watch: 13, declarations: 14 },
      staleLists: [],
    });
  });

  it('denies with an alarm, naming the entry, reason and source', () => {
    const decision = run({ lists: { watch: [{ key: '29C12345', reason: 'inspection', source: 'customs' }] } });
    expect(decision).toMatchObject({
      action: 'deny',
      reason: 'watch-list',
      alarm: true,
      detail: '29C12345 is on the watch list (inspection, from customs)',
      matched: { list: 'watch', entry: { key: '29C12345', reason: 'inspection', source: 'customs' } },
    });
  });

  it('names the other plate when it is the one denied', () => {
    const decision = run({
      plate: CN_ORDINARY,
      others: [VN_TEMPORARY],
      lists: { deny: [{ key: 'T2912345', source: 'border-guard' }] },
    });
    expect(decision.detail).toBe(
      'T2912345, read on the same vehicle as 云A12345, is on the deny list (from border-guard)',
    );
    expect(decision.matched).toEqual({ list: 'deny', entry: { key: 'T2912345', source: 'border-guard' } });
  });

  it('hints at an allowed plate one character off, and does not open', () => {
    const decision = run({ plate: VN_CAR_OFF_BY_ONE });
    expect(decision).toMatchObject({
      action: 'hold',
      reason: 'unknown-plate',
      hints: { nearMiss: [{ plate: '29C12345', distance: 1, list: 'allow' }] },
    });
    expect(decision.matched).toBeUndefined();
  });

  it('hints at deny and watch near misses first, and at none beyond nearMissDistance', () => {
    const near = {
      allow: [{ key: '29C12345' }],
      deny: [{ key: '29C12347' }],
      watch: [{ key: '29C12340' }, { key: '29C12300' }],
    };
    expect(run({ plate: VN_CAR_OFF_BY_ONE, lists: near }).hints.nearMiss).toEqual([
      { plate: '29C12347', distance: 1, list: 'deny' },
      { plate: '29C12340', distance: 1, list: 'watch' },
      { plate: '29C12345', distance: 1, list: 'allow' },
    ]);
    expect(
      run({ plate: VN_CAR_OFF_BY_ONE, lists: near, rules: { nearMissDistance: 2 } }).hints.nearMiss,
    ).toContainEqual({ plate: '29C12300', distance: 2, list: 'watch' });
    expect(run({ plate: VN_CAR_OFF_BY_ONE, lists: near, rules: { nearMissDistance: 0 } }).hints).toEqual({});
  });

  it('counts a Chinese province character as one character', () => {
    const decision = run({ plate: parsePlate(['云A·12346']), lists: { allow: [{ key: '云A12345' }] } });
    expect(decision.hints.nearMiss).toEqual([{ plate: '云A12345', distance: 1, list: 'allow' }]);
  });

  it('hints on a low-confidence hold too, never on an open or deny', () => {
    expect(run({ plate: VN_CAR_OFF_BY_ONE, confidence: 0.5 }).hints.nearMiss).toHaveLength(1);
    expect(run({ lists: { allow: [{ key: '29C12345' }, { key: '29C12346' }] } }).hints).toEqual({});
    expect(run({ lists: { allow: [{ key: '29C12346' }], deny: [{ key: '29C12345' }] } }).hints).toEqual({});
  });

  it('says which lists are stale and how old, and that a list was never received', () => {
    const decision = run({ lists: { receivedAt: { allow: NOW - DAY - 5, watch: null } } });
    expect(decision.staleLists).toEqual(['allow', 'watch']);
    expect(decision.listVersions).toEqual({ allow: 11, deny: 12, watch: null, declarations: 14 });
    expect(decision.detail).toBe(
      'the allow list (version 11) is 86400005 ms old; the watch list was never received; the limit is 86400000 ms',
    );
  });

  it('still reports stale lists when it decides from them (failClosed false)', () => {
    expect(run({ rules: { failClosed: false }, lists: { receivedAt: { deny: null } } })).toMatchObject({
      action: 'open',
      staleLists: ['deny'],
    });
  });

  it('shows the confidence that fell short without rounding it up to the limit', () => {
    expect(run({ confidence: 0.8499 }).detail).toBe('29C12345 read with confidence 0.849, below 0.85');
  });

  it('names the pairing it expected', () => {
    const decision = run({
      plate: CN_NEW_ENERGY,
      others: [VN_TEMPORARY_OTHER],
      lists: permit({ pairedPlate: 'T2912345' }),
    });
    expect(decision.detail).toBe(
      '云AD12345 is read with T2954321 on one vehicle; its allow entry pairs it with T2912345',
    );
  });

  it('says whose entry opened a plate allowed through its paired plate', () => {
    const decision = run({
      plate: CN_NEW_ENERGY,
      others: [VN_TEMPORARY],
      lists: { allow: [{ key: 'T2912345', pairedPlate: '云AD12345', reason: 'permit' }] },
    });
    expect(decision.detail).toBe('T2912345, paired with 云AD12345, is allowed (permit)');
    expect(decision.matched).toMatchObject({ list: 'allow', entry: { key: 'T2912345' } });
  });
});

describe('hours', () => {
  it('reads the local time of day in the zone', () => {
    expect(localMinutes(Date.parse('2026-03-10T23:59:00Z'), 'Asia/Ho_Chi_Minh')).toBe(6 * 60 + 59);
    expect(localMinutes(Date.parse('2026-03-10T16:00:00Z'), 'Asia/Shanghai')).toBe(0);
    expect(localMinutes(Date.parse('2026-03-10T16:00:00Z'), 'UTC')).toBe(16 * 60);
  });

  it('the whole day is always inside', () => {
    for (let h = 0; h < 24; h++)
      expect(
        withinHours(at(`${String(h).padStart(2, '0')}:17`), [{ from: '00:00', to: '24:00' }], 'Asia/Ho_Chi_Minh'),
      ).toBe(true);
  });
});

describe('decisionEvent', () => {
  it('is the decision, the read and the lists it was made from', () => {
    const read = { plate: CN_NEW_ENERGY, confidence: 0.93, votes: 5 };
    const lane = { id: 'kth-in', direction: 'entry' as const };
    const decision = run({
      plate: CN_NEW_ENERGY,
      others: [VN_TEMPORARY],
      lists: permit({ pairedPlate: 'T2912345', validUntil: NOW + DAY }),
    });
    expect(decisionEvent(decision, read, lane, [VN_TEMPORARY])).toEqual({
      action: 'open',
      reason: 'allowed',
      alarm: false,
      detail: '云AD12345 is allowed (permit)',
      direction: 'entry',
      plate: { text: '云AD12345', display: '云A·D12345', country: 'CN', kind: 'new-energy', valid: true },
      confidence: 0.93,
      votes: 5,
      otherPlates: ['T2912345'],
      matched: { list: 'allow', key: '云AD12345', reason: 'permit', pairedPlate: 'T2912345', validUntil: NOW + DAY },
      listVersions: { allow: 11, deny: 12, watch: 13, declarations: 14 },
      staleLists: [],
    });
  });

  it("carries the grammar's reason and the near-miss hints of a hold", () => {
    const held = decisionEvent(
      run({ plate: REJECTED, lists: { allow: [{ key: 'VN29A1234' }] } }),
      { plate: REJECTED, confidence: 0.9, votes: 2 },
      { id: 'kth-in', direction: 'entry' },
    );
    expect(held).toMatchObject({
      action: 'hold',
      reason: 'unreadable',
      plate: { text: 'VN29A12345', valid: false, country: null, kind: null, reason: REJECTED.reason },
      nearMiss: [{ plate: 'VN29A1234', distance: 1, list: 'allow' }],
    });
    expect(held).not.toHaveProperty('matched');
    expect(held).not.toHaveProperty('otherPlates');
    expect(JSON.parse(JSON.stringify(held))).toEqual(held);
  });
});

describe('docs/decisions.md', () => {
  it('documents every reason code', () => {
    const doc = readFileSync(new URL('../../docs/decisions.md', import.meta.url), 'utf8');
    for (const reason of DECISION_REASONS) expect(doc, reason).toContain(`\`${reason}\``);
  });
});
