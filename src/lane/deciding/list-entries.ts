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

/** A deny or watch entry. */
export interface FlagEntry {
  key: string;
  reason?: string;
  source?: string;
  validUntil?: number;
}

export interface ListMeta {
  version: number;
  receivedAt: number;
}

export interface ListIndex {
  allow: Map<string, AllowEntry>;
  deny: Map<string, FlagEntry>;
  watch: Map<string, FlagEntry>;
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
  const index: ListIndex = { allow: new Map(), deny: new Map(), watch: new Map(), meta };
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

function pickFlag(e: z.infer<typeof flagEntrySchema>): FlagEntry {
  return withoutUndefined({ key: e.key, reason: e.reason, source: e.source, validUntil: e.validUntil });
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`).join('; ');
}
