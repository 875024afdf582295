import { z } from 'zod';
import { SLUG_PATTERN } from '../config/fields.js';

/**
 * The contract of central → gate messages, as zod schemas: commands, list pushes, and the one
 * reply envelope `{status, data, error}` for both. Requests are validated strictly enough that
 * nothing malformed reaches a handler; their envelopes stay loose so a newer central may add
 * fields (a command's `args` are strict: an argument the gate does not know is refused).
 */

/** Payloads larger than these are refused before they are parsed. */
export const COMMAND_MAX_BYTES = 16 * 1024;
export const LIST_MAX_BYTES = 256 * 1024;

/** Why a command or list push was refused; the `code` of an error reply and the `reason` of its event. */
export const REFUSAL_CODES = [
  'too-large',
  'unsigned',
  'bad-signature',
  'no-central-key',
  'bad-json',
  'invalid',
  'wrong-topic',
  'unknown-command',
  'unknown-list',
  'unknown-lane',
  'expired',
  'too-early',
  'replayed',
  'version-mismatch',
  'too-many-entries',
  'conflict',
  'failed',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** Epoch ms, or an ISO 8601 date-time with an offset (`2026-01-01T08:00:00+07:00`). */
export const timestamp = () =>
  z
    .union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })])
    .describe('Epoch ms, or ISO 8601 date-time with an offset or Z.');

export function timestampMs(value: number | string): number {
  return typeof value === 'number' ? value : Date.parse(value);
}

export const commandRequestSchema = z
  .looseObject({
    id: z
      .string()
      .min(1)
      .max(64)
      .describe('Unique id of this command, chosen by central; a repeated id is refused as replayed.'),
    ts: timestamp().describe(
      'When central issued the command; refused when older than mqtt.commands.maxAgeMs (actuatingMaxAgeMs for barrier.open and hold.confirm) or further ahead than maxFutureMs.',
    ),
    expiresAt: timestamp()
      .optional()
      .describe(
        'Refused from this time on (in addition to the age limit). Required for barrier.open and hold.confirm, at most actuatingMaxAgeMs after ts.',
      ),
    laneId: z
      .string()
      .regex(SLUG_PATTERN, { error: 'expected a lane id (slug)' })
      .max(64)
      .optional()
      .describe('The lane the command targets; absent for the whole gate.'),
    args: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Arguments, specific to the command (topic level NAME).'),
  })
  .describe(
    'A command from central, on {prefix}/{site}/commands/{name}, QoS 1; at most 16 KB; signed (user properties sig and kid).',
  );

export type CommandRequest = z.infer<typeof commandRequestSchema>;

/** Canonical plate text as the gate reads it: `29C12345`, `云A12345` — no spaces, dashes or dots. */
const PLATE_KEY = /^[0-9A-Z\u3400-\u9fff]{1,16}$/u;
/** A list's key: a canonical plate, or a declaration's id (`declarations`). */
const LIST_KEY = /^[0-9A-Za-z\u3400-\u9fff][0-9A-Za-z\u3400-\u9fff._:-]{0,63}$/u;
const MAX_ENTRY_BYTES = 1024;

const listKey = () =>
  z.string().regex(LIST_KEY, {
    error:
      'expected a canonical plate (digits, capital letters, Chinese characters) or a declaration id (at most 64 characters)',
  });

/** A canonical plate, as a command's argument names one. */
export const plateKey = () =>
  z
    .string()
    .min(1)
    .max(16)
    .regex(PLATE_KEY, { error: 'expected canonical plate text: digits, capital letters and Chinese characters only' });

export const listEntrySchema = z
  .looseObject({
    key: listKey().describe(
      'Unique within the list: the canonical plate (allow, deny, watch) or the declaration id (declarations).',
    ),
  })
  .refine((entry) => Buffer.byteLength(JSON.stringify(entry)) <= MAX_ENTRY_BYTES, {
    error: `entry is larger than ${MAX_ENTRY_BYTES} bytes of JSON`,
  })
  .describe('One entry: its key and whatever central attaches to it (bounded to 1 KB of JSON).');

/**
 * The keys of a push to a plate list (allow, deny, watch) that are not canonical plates, as
 * `field.index.key: problem`; the declarations list is keyed by id and has none.
 */
export function plateKeyProblems(push: ListPush): string[] {
  const message = 'expected canonical plate text: digits, capital letters and Chinese characters only, at most 16';
  const keys: [string, string][] =
    push.kind === 'full'
      ? push.entries.map((e, i) => [`entries.${i}.key`, e.key])
      : [
          ...push.add.map((e, i): [string, string] => [`add.${i}.key`, e.key]),
          ...push.remove.map((k, i): [string, string] => [`remove.${i}`, k]),
        ];
  return keys.filter(([, key]) => !PLATE_KEY.test(key)).map(([path]) => `${path}: ${message}`);
}

const listVersion = () => z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** A key given twice in one push is central's mistake; named, with where it appeared. */
function uniqueKeys(keys: readonly string[], field: string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  keys.forEach((key, index) => {
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [field, index], message: `key "${key}" appears twice` });
    seen.add(key);
  });
}

export const fullListSchema = z
  .looseObject({
    kind: z.literal('full'),
    version: listVersion().describe('Version of the list; replaces whatever version the gate has.'),
    entries: z.array(listEntrySchema),
  })
  .superRefine((list, ctx) =>
    uniqueKeys(
      list.entries.map((e) => e.key),
      'entries',
      ctx,
    ),
  )
  .describe('The whole list: replaces what the gate has.');

export const deltaListSchema = z
  .looseObject({
    kind: z.literal('delta'),
    fromVersion: listVersion().describe('The version this delta applies to; any other is a version-mismatch.'),
    toVersion: listVersion().describe('The version after the delta; greater than fromVersion.'),
    add: z.array(listEntrySchema).default([]).describe('Entries added, or replaced by key.'),
    remove: z.array(listKey()).default([]).describe('Keys removed.'),
  })
  .superRefine((delta, ctx) => {
    if (delta.toVersion <= delta.fromVersion)
      ctx.addIssue({
        code: 'custom',
        path: ['toVersion'],
        message: `must be greater than fromVersion (${delta.fromVersion})`,
      });
    uniqueKeys(
      delta.add.map((e) => e.key),
      'add',
      ctx,
    );
    uniqueKeys(delta.remove, 'remove', ctx);
  })
  .describe('Changes from one version to the next.');

export const listPushSchema = z
  .discriminatedUnion('kind', [fullListSchema, deltaListSchema])
  .describe(
    'A list push from central, on {prefix}/{site}/lists/{allow|deny|watch|declarations}, QoS 1; at most 256 KB; signed (user properties sig and kid).',
  );

export type ListPush = z.infer<typeof listPushSchema>;

const replyError = z.looseObject({
  code: z.enum(REFUSAL_CODES).describe('Why the request was refused.'),
  message: z.string().describe('What was wrong, naming the field.'),
  currentVersion: z
    .number()
    .int()
    .nullable()
    .optional()
    .describe('version-mismatch only: the version the gate has (null: none).'),
});

export const replySchema = z
  .discriminatedUnion('status', [
    z.looseObject({
      status: z.literal('ok'),
      id: z.string().optional().describe('The command id (commands only).'),
      data: z.record(z.string(), z.unknown()).optional(),
    }),
    z.looseObject({
      status: z.literal('error'),
      id: z.string().optional().describe('The command id, when the request had a readable one.'),
      error: replyError,
    }),
  ])
  .describe(
    "The reply to a command or list push, on the request's responseTopic (only one under mqtt.central.replyPrefix) with its correlationData, else {replyPrefix}/commands/{name} or {replyPrefix}/lists/{name}; QoS 1.",
  );

export type Reply = z.infer<typeof replySchema>;
export type ReplyError = z.infer<typeof replyError>;

/** Problems of a failed parse, one line each, naming the field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`)
    .join('; ');
}
