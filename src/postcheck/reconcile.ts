import type { Declaration } from '../lane/deciding/list-entries.js';
import type { PassageRecord } from '../store/postcheck-records.js';

/**
 * One day's post-check ("hậu kiểm"), pure: the passages of the site's local day on lanes that
 * decide on fee declarations, sorted into what the people checking afterwards need — passages
 * with a declaration, undeclared ones, flagged mismatches, declarations used more than they
 * cover, and declarations that expired that day unused. Each flagged item carries its evidence.
 */

/**
 * A passage and where its evidence is: the events by id — the passage (`vehicle`), the decision
 * (its annotated frame) and, when flagged, the `postcheck.flagged` event (its plate crop).
 */
export interface PassageItem {
  passageId: string;
  decisionId: string | null;
  /** The `postcheck.flagged` event; its crop is the plate read at the barrier. */
  flagEventId: string | null;
  laneId: string;
  plate: string | null;
  passedAt: number;
  declarationId: string | null;
  flags: { kind: string; detail: string }[];
  confidence: number | null;
  votes: number | null;
}

export interface Reconciliation {
  day: string;
  timeZone: string;
  /** The day's instants: [from, to). */
  from: number;
  to: number;
  totals: {
    passages: number;
    declared: number;
    undeclared: number;
    flagged: number;
    mismatches: number;
    declarationsUsedTwice: number;
    expiredUnused: number;
  };
  /** Every passage of the day on its declaration, and every one without. */
  declared: PassageItem[];
  undeclared: PassageItem[];
  /** Passages whose declaration does not fit the vehicle (class or country). */
  mismatches: PassageItem[];
  /** Every flagged passage (undeclared, declaration used up, mismatch), in order. */
  flagged: PassageItem[];
  /** Declarations a passage of the day used beyond what they cover: every passage on them, oldest first. */
  usedTwice: {
    declarationId: string;
    plate: string | null;
    passages: { passageId: string; passedAt: number; laneId: string }[];
  }[];
  /** Declarations whose validity ended in the day (by now, for today), never used. */
  expiredUnused: {
    declarationId: string;
    plate: string;
    vehicleClass: string;
    validUntil: number;
    amount: number;
    currency: string;
    feeRef: string;
  }[];
}

const MISMATCHES = new Set(['class-mismatch', 'country-mismatch']);

export function reconcile(input: {
  day: string;
  timeZone: string;
  window: { from: number; to: number };
  /** Wall clock now: of today, only what has expired by now counts as expired. */
  now: number;
  /** The day's passages. */
  passages: readonly PassageRecord[];
  /** The declarations the gate holds now. */
  declarations: Iterable<Declaration>;
  /** Every passage that used a declaration, any day. */
  passagesUsing: (declarationId: string) => readonly PassageRecord[];
}): Reconciliation {
  const { passages } = input;
  const items = passages.map((p): PassageItem => ({
    passageId: p.passageId,
    decisionId: p.decisionId,
    flagEventId: p.flagEventId,
    laneId: p.laneId,
    plate: p.plate,
    passedAt: p.passedAt,
    declarationId: p.declarationId,
    flags: p.flags,
    confidence: p.confidence,
    votes: p.votes,
  }));
  const flagged = items.filter((p) => p.flags.length > 0);
  const usedTwiceIds = [
    ...new Set(
      passages
        .filter((p) => p.declarationId !== null && p.flags.some((f) => f.kind === 'declaration-used'))
        .map((p) => p.declarationId!),
    ),
  ];
  const usedTwice = usedTwiceIds.map((declarationId) => {
    const using = input.passagesUsing(declarationId);
    return {
      declarationId,
      plate: using[0]?.plate ?? null,
      passages: using.map((p) => ({ passageId: p.passageId, passedAt: p.passedAt, laneId: p.laneId })),
    };
  });
  const expiredUnused = [...input.declarations]
    .filter((d) => d.validUntil > input.window.from && d.validUntil <= Math.min(input.window.to, input.now))
    .filter((d) => input.passagesUsing(d.id).length === 0)
    .sort((a, b) => a.validUntil - b.validUntil || a.id.localeCompare(b.id))
    .map((d) => ({
      declarationId: d.id,
      plate: d.plate,
      vehicleClass: d.vehicleClass,
      validUntil: d.validUntil,
      amount: d.amount,
      currency: d.currency,
      feeRef: d.feeRef,
    }));
  return {
    day: input.day,
    timeZone: input.timeZone,
    from: input.window.from,
    to: input.window.to,
    totals: {
      passages: passages.length,
      declared: passages.filter((p) => p.status === 'declared').length,
      undeclared: passages.filter((p) => p.status === 'undeclared').length,
      flagged: flagged.length,
      mismatches: passages.filter((p) => p.flags.some((f) => MISMATCHES.has(f.kind))).length,
      declarationsUsedTwice: usedTwice.length,
      expiredUnused: expiredUnused.length,
    },
    declared: items.filter((_, i) => passages[i]!.status === 'declared'),
    undeclared: items.filter((_, i) => passages[i]!.status === 'undeclared'),
    mismatches: items.filter((p) => p.flags.some((f) => MISMATCHES.has(f.kind))),
    flagged,
    usedTwice,
    expiredUnused,
  };
}

/** The day's flagged passages as CSV (RFC 4180), one row per passage, for a spreadsheet. */
export function reconciliationCsv(r: Reconciliation): string {
  const header = [
    'day',
    'passed_at',
    'lane',
    'plate',
    'flags',
    'declaration',
    'confidence',
    'votes',
    'passage_event',
    'decision_event',
    'flag_event',
    'detail',
  ];
  const rows = r.flagged.map((f) => [
    r.day,
    new Date(f.passedAt).toISOString(),
    f.laneId,
    f.plate ?? '',
    f.flags.map((x) => x.kind).join(' '),
    f.declarationId ?? '',
    f.confidence === null ? '' : String(f.confidence),
    f.votes === null ? '' : String(f.votes),
    f.passageId,
    f.decisionId ?? '',
    f.flagEventId ?? '',
    f.flags.map((x) => x.detail).join('; '),
  ]);
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

function csvField(value: string): string {
  // A leading = + - @ would be a formula in a spreadsheet: quoted with a ' so it stays text.
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) || safe !== value ? `"${safe.replace(/"/g, '""')}"` : safe;
}
