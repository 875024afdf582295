import type { DeclarationMode, PostcheckFlagKind } from '../../domain/declarations.js';
import type { ParsedPlate } from '../../plates/types.js';
import type { Declaration, DeclarationIndex, DeclaredClass } from './list-entries.js';

/**
 * The fee declaration step of a decision (docs/postcheck.md), pure. With a lane's
 * `decisions.declarations` on, a vehicle nothing else refused is decided on its declaration:
 *
 *   a valid declaration not used up              → open `declared` (class or country mismatches flagged)
 *   only declarations used up (`passages: one`)  → required: hold `declaration-used`; post-check: open `undeclared`, flagged
 *   none valid now (none, expired, not yet)      → required: hold `not-declared`; post-check: open `undeclared`, flagged
 */

/** What the post-check must look at after a passage. */
export interface PostcheckFlag {
  kind: PostcheckFlagKind;
  detail: string;
}

export interface DeclarationVerdict {
  reason: 'declared' | 'undeclared' | 'not-declared' | 'declaration-used';
  detail: string;
  /** The declaration the passage uses (declared), or the used-up one it tried (declaration-used). */
  declaration?: Declaration;
  flags: PostcheckFlag[];
}

/**
 * `uses(id)`: how many passages have used the declaration already. The vehicle's plates are the
 * read and the other plates voted on it (a cross-border truck's pair): a declaration under
 * either, or naming either as its paired plate, is the vehicle's.
 */
export function declarationVerdict(input: {
  plate: ParsedPlate;
  others: readonly ParsedPlate[];
  declarations: DeclarationIndex;
  mode: Exclude<DeclarationMode, 'off'>;
  now: number;
  uses: (id: string) => number;
}): DeclarationVerdict {
  const { plate, now, mode } = input;
  const mine = new Map<string, Declaration>();
  for (const p of [plate, ...input.others]) for (const d of input.declarations.forPlate(p.text)) mine.set(d.id, d);
  const valid = [...mine.values()].filter((d) => d.validFrom <= now && now < d.validUntil);
  const usable = valid
    .filter((d) => d.passages === 'many' || input.uses(d.id) === 0)
    // A pass for many passages before a single ticket, then the one that ends first.
    .sort((a, b) => (a.passages === b.passages ? a.validUntil - b.validUntil : a.passages === 'many' ? -1 : 1));
  const chosen = usable[0];
  if (chosen) {
    return {
      reason: 'declared',
      detail: `${plate.text} declared ${chosen.id} (${chosen.vehicleClass}, ${chosen.amount} ${chosen.currency}, ref ${chosen.feeRef})`,
      declaration: chosen,
      flags: mismatches(plate, chosen),
    };
  }
  const used = valid[0];
  if (used) {
    const detail = `${plate.text}'s declaration ${used.id} covers one passage and was used already`;
    return mode === 'required'
      ? { reason: 'declaration-used', detail, declaration: used, flags: [] }
      : { reason: 'undeclared', detail, declaration: used, flags: [{ kind: 'declaration-used', detail }] };
  }
  const detail = `no valid fee declaration for ${plate.text}${whyNone([...mine.values()], now)}`;
  return mode === 'required'
    ? { reason: 'not-declared', detail, flags: [] }
    : { reason: 'undeclared', detail, flags: [{ kind: 'undeclared', detail }] };
}

/** Why the declarations found do not cover now, for the detail. */
function whyNone(found: readonly Declaration[], now: number): string {
  if (found.length === 0) return '';
  const d = found.reduce((a, b) => (b.validUntil > a.validUntil ? b : a));
  return d.validUntil <= now
    ? ` (${d.id} expired ${new Date(d.validUntil).toISOString()})`
    : ` (${d.id} is valid from ${new Date(d.validFrom).toISOString()})`;
}

/**
 * Plate kinds that a declared class plainly does not fit: a car's fee on a commercial truck's
 * plate, a motorbike's on anything but a motorbike and the other way round. Kinds that may be
 * either (a private `car` plate on a pickup truck) are not flagged.
 */
const MISFITS: Readonly<Record<DeclaredClass, readonly string[]>> = {
  motorbike: ['car', 'commercial', 'trailer', 'coach', 'ordinary', 'new-energy', 'temporary'],
  car: ['motorbike', 'commercial', 'trailer'],
  bus: ['motorbike'],
  truck: ['motorbike'],
  trailer: ['motorbike'],
  other: [],
};

function mismatches(plate: ParsedPlate, d: Declaration): PostcheckFlag[] {
  const flags: PostcheckFlag[] = [];
  if (plate.kind !== null && MISFITS[d.vehicleClass].includes(plate.kind))
    flags.push({
      kind: 'class-mismatch',
      detail: `${d.id} was declared for a ${d.vehicleClass}; ${plate.text} is a ${plate.kind} plate`,
    });
  if (d.countries && plate.country !== null && !d.countries.includes(plate.country))
    flags.push({
      kind: 'country-mismatch',
      detail: `${d.id} covers ${d.countries.join('/')} plates; ${plate.text} is a ${plate.country} plate`,
    });
  return flags;
}
