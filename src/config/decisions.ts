import { z } from 'zod';
import { DECLARATION_MODES } from '../domain/declarations.js';
import { PLATE_KINDS } from '../plates/kinds.js';
import { integer, isTimeZone, positiveMs } from './fields.js';

/** `HH:MM`, 00:00..23:59; `to` may also be 24:00, the end of the day. */
const TIME_OF_DAY = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
const END_OF_DAY = '24:00';

const timeOfDay = (field: 'from' | 'to') =>
  z.string().refine((s) => TIME_OF_DAY.test(s) || (field === 'to' && s === END_OF_DAY), {
    error:
      field === 'to' ? 'expected a time of day HH:MM, 00:00 to 24:00' : 'expected a time of day HH:MM, 00:00 to 23:59',
  });

/** Minutes since local midnight of an `HH:MM` accepted by the schema (24:00 → 1440). */
export function minutesOfDay(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

const hoursWindowSchema = z
  .strictObject({
    from: timeOfDay('from').describe('Local time the lane starts opening, inclusive (HH:MM).'),
    to: timeOfDay('to').describe(
      'Local time it stops, exclusive (HH:MM; 24:00 is midnight at the end of the day). Earlier than `from`: the window runs across midnight.',
    ),
  })
  .refine((w) => minutesOfDay(w.from) !== minutesOfDay(w.to) % 1440 || (w.from === '00:00' && w.to === END_OF_DAY), {
    error: 'from and to are the same time; write 00:00 to 24:00 for the whole day',
    path: ['to'],
  })
  .describe("One window of opening hours in the lane's time zone.");

export type HoursWindow = z.infer<typeof hoursWindowSchema>;

/**
 * How a lane decides on a voted plate read (src/lane/deciding/decide.ts). One per lane, under
 * `lanes[].decisions`; every field has a default, so the section may be left out.
 */
export const laneDecisionsSchema = z
  .strictObject({
    kindsAllowed: z
      .array(z.enum(PLATE_KINDS))
      .min(1)
      .default([...PLATE_KINDS])
      .describe(
        'Plate kinds (Vietnamese and Chinese, as docs/plates.md names them) that may pass this lane; others are held. Default: all.',
      ),
    hours: z
      .array(hoursWindowSchema)
      .min(1)
      .default([{ from: '00:00', to: END_OF_DAY }])
      .describe('When the lane opens, in `timeZone`; a read outside every window is held. Default: the whole day.'),
    timeZone: z
      .string()
      .refine(isTimeZone, { error: 'expected an IANA time zone, e.g. Asia/Ho_Chi_Minh' })
      .default('Asia/Ho_Chi_Minh')
      .describe('IANA time zone of `hours`.'),
    minConfidence: z
      .number()
      .min(0)
      .max(1)
      .default(0.85)
      .describe('Lowest voted read confidence (0..1) that may open the barrier; a less confident read is held.'),
    listsMaxAgeMs: positiveMs()
      .default(24 * 3_600_000)
      .describe('A list (allow, deny, watch) received longer ago than this (ms), or never received, is stale.'),
    failClosed: z
      .boolean()
      .default(true)
      .describe(
        'With stale lists, hold every read that is not on the deny or watch list (true), or decide from the stale lists (false).',
      ),
    declarations: z
      .enum(DECLARATION_MODES)
      .default('off')
      .describe(
        'Fee declarations (docs/postcheck.md): `required` holds a vehicle without a valid one (`not-declared`); `post-check` lets it through when nothing else refuses it and flags the passage for the check afterwards; `off` ignores them. Default off.',
      ),
    nearMissDistance: integer()
      .min(0)
      .max(3)
      .default(1)
      .describe(
        'Plates within this edit distance of a listed plate are shown to the operator as a hint (never opened on); 0 turns hints off.',
      ),
  })
  .prefault({})
  .describe('How a lane decides to open, hold or deny on a plate read.');

export type LaneDecisions = z.infer<typeof laneDecisionsSchema>;
