import { z } from 'zod';
import { SLUG_PATTERN } from '../../config/fields.js';
import { LANE_DIRECTIONS } from '../../config/lane.js';
import type { StoredList } from '../../store/lists.js';
import { LIST_NAMES, type ListName } from '../../domain/lists.js';

/**
 * What central may attach to a list entry, beside its `key` (the canonical plate), and the
 * in-memory index the decision function reads. The wire schema (commands-contract.ts) accepts
 * any extra fields; their meaning is checked here, when the stored lists are indexed.
 */

/** Epoch ms, or ISO 8601 with an offset or Z; read as epoch ms. */
const instant = () =>
  z
    .union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })], {
      error: 'expected epoch ms or an ISO 8601 date-time with an offset',
    })
    .transform((v) => (typeof v === 'number' ? v : Date.parse(v)));

const canonicalPlate = () =>
  z.string().regex(/^[0-9A-Z\u3400-\u9fff]{1,16}$/u, {
    error: 'expected canonical plate text (digits, capital letters, Chinese characters)',
  });
const text = () => z.string().min(1).max(200);

/** Entries are `looseObject`s: a field the gate does not know is kept on the stored entry and ignored here. */
export const allowEntrySchema = z
  .looseObject({
    key: canonicalPlate(),
    validFrom: instant().optional().describe('Valid from this instant, inclusive; absent: since ever.'),
    validUntil: instant().optional().describe('Valid until this instant, exclusive; absent: no end.'),
    reason: text().optional().describe('Why the plate is allowed: permit, fee, local, or free text.'),
    lanes: z
      .array(z.string().regex(SLUG_PATTERN, { error: 'expected a lane id' }))
      .min(1)
      .optional()
      .describe('Lane ids it applies to; absent: every lane.'),
    direction: z.enum(LANE_DIRECTIONS).optional().describe('entry or exit; absent: both.'),
    pairedPlate: canonicalPlate()
      .optional()
      .describe("Canonical plate of the same vehicle's plate of the other country."),
    vehicleClass: z
      .string()
      .regex(SLUG_PATTERN, { error: 'expected a class id (slug)' })
      .optional()
      .describe("The yard class the vehicle takes a place of (a yard's `classes[].id`); absent: from its plate kind."),
  })
  .refine((e) => e.validFrom === undefined || e.validUntil === undefined || e.validUntil > e.validFrom, {
    error: 'validUntil must be after validFrom',
    path: ['validUntil'],
  });

export const flagEntrySchema = z.looseObject({
  key: canonicalPlate(),
  reason: text().optional().describe('Why the plate is denied or watched.'),
  source: text().optional().describe('Who asked: border-guard, customs, or free text.'),
  validUntil: instant().optional().describe('Applies until this instant, exclusive; absent: until removed.'),
});

export interface AllowEntry {
  key: string;
  validFrom?: number;
  validUntil?: number;
  reason?: string;
  lanes?: string[];
  direction?: (typeof LANE_DIRECTIONS)[number];
  pairedPlate?: string;
  vehicleClass?: string;
}

/**
 * The vehicle's other plate, by the allow entry it was decided on: the entry's `pairedPlate`
 * when the read is the entry's own plate, else the entry's own plate (the entry was found
 * through the pair: a truck's permit listed under its other plate).
 */
export function otherPlateOf(entry: AllowEntry, readPlate: string): string | null {
  return entry.key === readPlate ? (entry.pairedPlate ?? null) : entry.key;
}

/** A deny or watch entry. */
export interface FlagEntry {
  key: string;
  reason?: string;
  source?: string;
  validUntil?: number;
}

/** Vehicle classes a fee is declared for; the gate checks the plain mismatches against the plate's kind. */
export const DECLARED_CLASSES = ['motorbike', 'car', 'bus', 'truck', 'trailer', 'other'] as const;
export type DeclaredClass = (typeof DECLARED_CLASSES)[number];

/** A declaration's id: what central's fee system calls it; the key of the `declarations` list. */
export const DECLARATION_ID = /^[0-9A-Za-z][0-9A-Za-z._:-]{0,63}$/;

export const declarationEntrySchema = z
  .looseObject({
    key: z
      .string()
      .regex(DECLARATION_ID, { error: 'expected a declaration id: letters, digits, . _ : - (at most 64)' }),
    plate: canonicalPlate().describe('The declared vehicle’s canonical plate.'),
    pairedPlate: canonicalPlate()
      .optional()
      .describe(
        "A cross-border truck's plate of the other country: a passage under either plate uses the declaration.",
      ),
    vehicleClass: z.enum(DECLARED_CLASSES).describe('The class the fee was declared for.'),
    countries: z
      .array(z.enum(['VN', 'CN']))
      .min(1)
      .optional()
      .describe('Plates of these countries only (a Vietnamese-only declaration: ["VN"]); absent: any.'),
    validFrom: instant().optional().describe('Valid from this instant, inclusive; absent: from when it was declared.'),
    validUntil: instant().describe('Valid until this instant, exclusive.'),
    passages: z
      .enum(['one', 'many'])
      .default('one')
      .describe('`one`: used up by the first passage; `many`: any number of passages within the validity.'),
    amount: z.number().nonnegative().describe('The fee paid, in `currency`.'),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, { error: 'expected an ISO 4217 code, e.g. VND' })
      .default('VND'),
    feeRef: text().describe("The payment's reference in the fee system."),
    declaredAt: instant().describe('When the fee was declared.'),
  })
  .refine((d) => d.validFrom === undefined || d.validUntil > d.validFrom, {
    error: 'validUntil must be after validFrom',
    path: ['validUntil'],
  });

/** A fee declaration as decide() reads it. */
export interface Declaration {
  id: string;
  plate: string;
  pairedPlate?: string;
  vehicleClass: DeclaredClass;
  countries?: ('VN' | 'CN')[];
  validFrom: number;
  validUntil: number;
  passages: 'one' | 'many';
  amount: number;
  currency: string;
  feeRef: string;
  declaredAt: number;
}

/**
 * The declarations by id (the list's key) and by plate and paired plate (what a read finds
 * them by), kept in step: the list index's clear/delete/set on it maintain both.
 */
export class DeclarationIndex {
  private readonly byId = new Map<string, Declaration>();
  private readonly byPlate = new Map<string, Set<string>>();

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Declaration | undefined {
    return this.byId.get(id);
  }

  keys(): IterableIterator<string> {
    return this.byId.keys();
  }

  set(id: string, declaration: Declaration): void {
    this.delete(id);
    this.byId.set(id, declaration);
    for (const plate of [declaration.plate, declaration.pairedPlate]) {
      if (!plate) continue;
      const ids = this.byPlate.get(plate) ?? new Set<string>();
      ids.add(id);
      this.byPlate.set(plate, ids);
    }
  }

  delete(id: string): boolean {
    const old = this.byId.get(id);
    if (!old) return false;
    this.byId.delete(id);
    for (const plate of [old.plate, old.pairedPlate]) {
      const ids = plate ? this.byPlate.get(plate) : undefined;
      ids?.delete(id);
      if (ids?.size === 0) this.byPlate.delete(plate!);
    }
    return true;
  }

  clear(): void {
    this.byId.clear();
    this.byPlate.clear();
  }

  /** The declarations naming `plate` as their plate or paired plate. */
  forPlate(plate: string): Declaration[] {
    return [...(this.byPlate.get(plate) ?? [])].map((id) => this.byId.get(id)!);
  }
}

export interface ListMeta {
  version: number;
  receivedAt: number;
}

export interface ListIndex {
  allow: Map<string, AllowEntry>;
  deny: Map<string, FlagEntry>;
  watch: Map<string, FlagEntry>;
  declarations: DeclarationIndex;
  /** Version and arrival of each list; null when the gate never received it. */
  meta: Record<ListName, ListMeta | null>;
}

/**
 * An entry whose fields did not parse. An allow entry is `ignored` (it cannot open anything);
 * a deny or watch entry is `kept` with only its key, applying until removed, because dropping it
 * would let a refused vehicle through on central's typo.
 */
export interface EntryProblem {
  list: ListName;
  key: string;
  effect: 'ignored' | 'kept';
  message: string;
}

export type StoredLists = Partial<Record<ListName, StoredList | undefined>>;

/** Indexes the stored lists (ListStore.get of each name) by key; pure. */
export function buildListIndex(lists: StoredLists): { index: ListIndex; problems: EntryProblem[] } {
  const problems: EntryProblem[] = [];
  const meta = Object.fromEntries(LIST_NAMES.map((name) => [name, metaOf(lists[name])])) as Record<
    ListName,
    ListMeta | null
  >;
  const index: ListIndex = {
    allow: new Map(),
    deny: new Map(),
    watch: new Map(),
    declarations: new DeclarationIndex(),
    meta,
  };
  for (const name of LIST_NAMES) {
    for (const raw of lists[name]?.entries ?? []) {
      const problem = indexEntry(index, name, raw);
      if (problem) problems.push(problem);
    }
  }
  return { index, problems };
}

/**
 * Puts one raw entry of list `name` into the index (replacing one with its key); returns the
 * problem with it, if any. Used for the whole lists at start-up and for each entry central
 * adds later, so the index follows the store without being built again.
 */
export function indexEntry(index: ListIndex, name: ListName, raw: unknown): EntryProblem | null {
  if (name === 'declarations') {
    const parsed = declarationEntrySchema.safeParse(raw);
    if (parsed.success) {
      index.declarations.set(parsed.data.key, pickDeclaration(parsed.data));
      return null;
    }
    // A declaration that does not parse covers nothing: the passage is seen as undeclared, and flagged.
    const key = keyOf(raw);
    index.declarations.delete(key);
    return { list: name, key, effect: 'ignored', message: issuesText(parsed.error) };
  }
  if (name === 'allow') {
    const parsed = allowEntrySchema.safeParse(raw);
    if (parsed.success) {
      index.allow.set(parsed.data.key, pickAllow(parsed.data));
      return null;
    }
    // An allow entry that does not parse opens nothing; one that was there before goes.
    const key = keyOf(raw);
    index.allow.delete(key);
    return { list: 'allow', key, effect: 'ignored', message: issuesText(parsed.error) };
  }
  const parsed = flagEntrySchema.safeParse(raw);
  if (parsed.success) {
    index[name].set(parsed.data.key, pickFlag(parsed.data));
    return null;
  }
  const key = keyOf(raw);
  if (key !== '') index[name].set(key, { key });
  return { list: name, key, effect: 'kept', message: issuesText(parsed.error) };
}

function metaOf(list: StoredList | undefined): ListMeta | null {
  return list ? { version: list.version, receivedAt: list.receivedAt } : null;
}

function keyOf(raw: unknown): string {
  const key = typeof raw === 'object' && raw !== null ? (raw as { key?: unknown }).key : undefined;
  return typeof key === 'string' ? key : '';
}

/** Only the fields the gate reads, so the index holds no stray data from central. */
function pickAllow(e: z.infer<typeof allowEntrySchema>): AllowEntry {
  return withoutUndefined({
    key: e.key,
    validFrom: e.validFrom,
    validUntil: e.validUntil,
    reason: e.reason,
    lanes: e.lanes,
    direction: e.direction,
    pairedPlate: e.pairedPlate,
    vehicleClass: e.vehicleClass,
  });
}

function pickDeclaration(e: z.infer<typeof declarationEntrySchema>): Declaration {
  return withoutUndefined({
    id: e.key,
    plate: e.plate,
    pairedPlate: e.pairedPlate,
    vehicleClass: e.vehicleClass,
    countries: e.countries,
    validFrom: e.validFrom ?? e.declaredAt,
    validUntil: e.validUntil,
    passages: e.passages,
    amount: e.amount,
    currency: e.currency,
    feeRef: e.feeRef,
    declaredAt: e.declaredAt,
  });
}

function pickFlag(e: z.infer<typeof flagEntrySchema>): FlagEntry {
  return withoutUndefined({ key: e.key, reason: e.reason, source: e.source, validUntil: e.validUntil });
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`).join('; ');
}
