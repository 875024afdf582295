import type { LaneDecisions } from '../../config/decisions.js';
import type { LANE_DIRECTIONS } from '../../config/lane.js';
import type { ParsedPlate } from '../../plates/types.js';
import { type DecisionAction, type LaneReasonCode, REASON_OUTCOME, type ReasonCode } from './decision-reasons.js';
import { withinHours } from './hours.js';
import type { AllowEntry, Declaration, FlagEntry, ListIndex } from './list-entries.js';
import { declarationVerdict, type PostcheckFlag } from './declarations.js';
import { type NearMiss, nearMisses } from './near-miss.js';
import { LIST_NAMES, type ListName } from '../../domain/lists.js';

export interface DecisionInput {
  /** The voted read of the vehicle. */
  read: { plate: ParsedPlate; confidence: number; votes: number };
  /** Other plates voted on the same vehicle (the other country's plate of a cross-border truck). */
  otherReads?: readonly ParsedPlate[];
  lane: { id: string; direction: (typeof LANE_DIRECTIONS)[number] };
  rules: LaneDecisions;
  lists: ListIndex;
  /** Wall clock, ms since the epoch. */
  now: number;
  /** How many passages have used a declaration already (the post-check's ledger); default none. */
  declarationUses?: (id: string) => number;
}

export type MatchedEntry = { list: 'allow'; entry: AllowEntry } | { list: 'deny' | 'watch'; entry: FlagEntry };

export interface Decision {
  action: DecisionAction;
  /** decide()'s reason, or `lane-busy` when the lane held an allowed vehicle (decider.ts). */
  reason: LaneReasonCode;
  /** True for a plate on the deny or watch list: the operator must be alerted, not just asked. */
  alarm: boolean;
  /** One sentence for the operator and the event log. */
  detail: string;
  /** The entry that decided (deny/watch), or the plate's allow entry when there is one. */
  matched?: MatchedEntry;
  /** The fee declaration the passage uses, or the used-up one it tried (lanes with declarations on). */
  declaration?: Declaration;
  /** What the post-check must look at once the vehicle has passed (docs/postcheck.md). */
  postcheck?: PostcheckFlag[];
  hints: { nearMiss?: NearMiss[] };
  /** The version of each list decided from; null: never received. */
  listVersions: Record<ListName, number | null>;
  /** Lists older than rules.listsMaxAgeMs or never received (decided from anyway when !failClosed). */
  staleLists: ListName[];
}

/**
 * Decides open, hold or deny for one vehicle; pure. The first rule that applies decides:
 *
 *  1. a plate of the vehicle (the read or another read) on the deny list   → deny `deny-list`, alarm
 *  2. ... on the watch list                                                 → deny `watch-list`, alarm
 *  3. the grammar rejected the read                                         → hold `unreadable`
 *  4. confidence below rules.minConfidence                                  → hold `low-confidence`
 *  5. a list stale or never received, rules.failClosed                      → hold `lists-stale`
 *  6. plate kind not in rules.kindsAllowed                                  → hold `kind-not-allowed`
 *  7. outside rules.hours                                                   → hold `outside-hours`
 *  8. no allow entry for the exact canonical plate, nor one of the vehicle's
 *     other plates that names it as its pairedPlate                         → hold `unknown-plate`
 *  9. allow entry not yet valid (now < validFrom)                           → hold `permit-not-yet-valid`
 * 10. allow entry expired (now ≥ validUntil)                                → hold `permit-expired`
 * 11. entry limited to other lanes                                          → hold `wrong-lane`
 * 12. entry limited to the other direction                                  → hold `wrong-direction`
 * 13. a VN and a CN plate on the vehicle that no allow entry pairs          → hold `pairing-mismatch`
 * 14. otherwise                                                             → open `allowed`
 *
 * With rules.declarations on, row 8 does not hold (the declaration decides for a vehicle with
 * no allow entry), and the declaration rows of docs/decisions.md take the place of 14 (declarations.ts).
 *
 * Refusals come first and match any read, whatever its confidence, because refusing is the
 * safe side. Opening needs an exact match: a near miss is only a hint on a hold.
 */
export function decide(input: DecisionInput): Decision {
  const { read, lane, rules, lists, now } = input;
  const plate = read.plate;
  const others = (input.otherReads ?? []).filter((p) => p.text !== '' && p.text !== plate.text);
  // The declarations only count as a list the lane decides from when it uses them.
  const staleLists = LIST_NAMES.filter((name) => name !== 'declarations' || rules.declarations !== 'off').filter(
    (name) => isStale(lists.meta[name], rules.listsMaxAgeMs, now),
  );
  const listVersions = Object.fromEntries(
    LIST_NAMES.map((name) => [name, lists.meta[name]?.version ?? null]),
  ) as Record<ListName, number | null>;
  const base = { listVersions, staleLists };

  const result = (
    reason: ReasonCode,
    detail: string,
    matched?: MatchedEntry,
    declared?: { declaration?: Declaration; flags: PostcheckFlag[] },
  ): Decision => {
    const { action, alarm } = REASON_OUTCOME[reason];
    const nearMiss = action === 'hold' ? nearMisses(plate.text, lists, rules.nearMissDistance) : [];
    return {
      action,
      reason,
      alarm,
      detail,
      ...(matched ? { matched } : {}),
      ...(declared?.declaration ? { declaration: declared.declaration } : {}),
      ...(declared && declared.flags.length > 0 ? { postcheck: declared.flags } : {}),
      hints: nearMiss.length > 0 ? { nearMiss } : {},
      ...base,
    };
  };

  for (const list of ['deny', 'watch'] as const) {
    for (const candidate of [plate, ...others]) {
      const entry = lists[list].get(candidate.text);
      if (!entry || (entry.validUntil !== undefined && now >= entry.validUntil)) continue;
      const whose =
        candidate === plate ? candidate.text : `${candidate.text}, read on the same vehicle as ${plate.text},`;
      return result(
        list === 'deny' ? 'deny-list' : 'watch-list',
        `${whose} is on the ${list} list${describeFlag(entry)}`,
        { list, entry },
      );
    }
  }

  if (!plate.valid)
    return result(
      'unreadable',
      `the read "${plate.raw}" fits no plate format${plate.reason ? ` (${plate.reason})` : ''}`,
    );
  // Comparisons are written so that NaN (a broken confidence or clock) never opens.
  if (!(read.confidence >= rules.minConfidence)) {
    return result(
      'low-confidence',
      `${plate.text} read with confidence ${Math.floor(read.confidence * 1000) / 1000}, below ${rules.minConfidence}`,
    );
  }
  if (staleLists.length > 0 && rules.failClosed) {
    return result(
      'lists-stale',
      `${staleLists.map((name) => describeAge(name, lists, now)).join('; ')}; the limit is ${rules.listsMaxAgeMs} ms`,
    );
  }
  if (plate.kind === null || !rules.kindsAllowed.includes(plate.kind)) {
    return result(
      'kind-not-allowed',
      `${plate.text} is a ${plate.kind ?? 'plate of unknown kind'}, not allowed on lane ${lane.id}`,
    );
  }
  if (!withinHours(now, rules.hours, rules.timeZone)) {
    const hours = rules.hours.map((w) => `${w.from}-${w.to}`).join(', ');
    return result('outside-hours', `lane ${lane.id} opens ${hours} (${rules.timeZone})`);
  }

  const declarations = rules.declarations;
  const byDeclaration = (matched?: MatchedEntry, allowedDetail?: string): Decision => {
    if (declarations === 'off') return result('allowed', allowedDetail!, matched);
    const verdict = declarationVerdict({
      plate,
      others,
      declarations: lists.declarations,
      mode: declarations,
      now,
      uses: input.declarationUses ?? (() => 0),
    });
    const detail = allowedDetail ? `${verdict.detail}; ${allowedDetail}` : verdict.detail;
    return result(verdict.reason, detail, matched, verdict);
  };

  const allowed = allowEntryOf(plate, others, lists);
  if (!allowed) {
    if (declarations === 'off') return result('unknown-plate', `${plate.text} is not on the allow list`);
    return byDeclaration();
  }
  const { entry, key } = allowed;
  const matched: MatchedEntry = { list: 'allow', entry };
  if (entry.validFrom !== undefined && !(now >= entry.validFrom)) {
    return result('permit-not-yet-valid', `${key} is allowed from ${iso(entry.validFrom)}`, matched);
  }
  if (entry.validUntil !== undefined && !(now < entry.validUntil)) {
    return result('permit-expired', `${key} was allowed until ${iso(entry.validUntil)}`, matched);
  }
  if (entry.lanes && !entry.lanes.includes(lane.id)) {
    return result(
      'wrong-lane',
      `${key} is allowed on lane${entry.lanes.length > 1 ? 's' : ''} ${entry.lanes.join(', ')}, not ${lane.id}`,
      matched,
    );
  }
  if (entry.direction && entry.direction !== lane.direction) {
    return result(
      'wrong-direction',
      `${key} is allowed for ${entry.direction} only; lane ${lane.id} is ${lane.direction}`,
      matched,
    );
  }
  const unpaired = unpairedPlates(plate, others, entry, lists);
  if (unpaired.length > 0) {
    const paired = entry.pairedPlate
      ? `its allow entry pairs it with ${entry.pairedPlate}`
      : 'its allow entry names no paired plate';
    return result(
      'pairing-mismatch',
      `${plate.text} is read with ${unpaired.join(', ')} on one vehicle; ${paired}`,
      matched,
    );
  }
  return byDeclaration(matched, `${key} is allowed${entry.reason ? ` (${entry.reason})` : ''}`);
}

/**
 * The allow entry the vehicle is decided on: the read plate's own, else the entry of another
 * plate read on the vehicle that names the read plate as its `pairedPlate`. Which of a truck's
 * two plates the voter reports first is chance, and central may list the permit under either;
 * `key` says whose entry it is, for the detail.
 */
function allowEntryOf(
  plate: ParsedPlate,
  others: readonly ParsedPlate[],
  lists: ListIndex,
): { entry: AllowEntry; key: string } | undefined {
  const own = lists.allow.get(plate.text);
  if (own) return { entry: own, key: plate.text };
  for (const other of others) {
    const entry = lists.allow.get(other.text);
    if (other.valid && entry?.pairedPlate === plate.text)
      return { entry, key: `${other.text}, paired with ${plate.text},` };
  }
  return undefined;
}

/** Stale: never received, or received more than maxAgeMs before now (exactly maxAgeMs is still fresh). */
function isStale(meta: ListIndex['meta'][ListName], maxAgeMs: number, now: number): boolean {
  return meta === null || !(now - meta.receivedAt <= maxAgeMs);
}

/**
 * The other country's valid plates on the vehicle that no allow entry pairs with the read: a
 * pairing is known when the read's entry names the plate as `pairedPlate`, or the plate's own
 * allow entry names the read. Plates of the read's own country, and rejected reads, are not
 * checked; a vehicle seen with one country's plates only has nothing to pair.
 */
function unpairedPlates(
  plate: ParsedPlate,
  others: readonly ParsedPlate[],
  entry: AllowEntry,
  lists: ListIndex,
): string[] {
  return others
    .filter((p) => p.valid && p.country !== null && p.country !== plate.country)
    .filter((p) => entry.pairedPlate !== p.text && lists.allow.get(p.text)?.pairedPlate !== plate.text)
    .map((p) => p.text);
}

function describeFlag(entry: FlagEntry): string {
  const parts = [entry.reason, entry.source && `from ${entry.source}`].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function describeAge(name: ListName, lists: ListIndex, now: number): string {
  const meta = lists.meta[name];
  return meta === null
    ? `the ${name} list was never received`
    : `the ${name} list (version ${meta.version}) is ${now - meta.receivedAt} ms old`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
