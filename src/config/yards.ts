import { z } from 'zod';
import { PLATE_KINDS } from '../plates/kinds.js';
import { integer, nonEmptyString, slug } from './fields.js';

/** What happens to the oldest `yard-full` hold at its barrier when a place in the yard frees up. */
export const YARD_ROOM_ACTIONS = ['open', 'offer'] as const;

const laneIds = () => z.array(slug()).describe('Lane ids (each must be one of `lanes`).');

const yardClassSchema = z
  .strictObject({
    id: slug().describe('Class id (slug), e.g. `truck`; an allow entry may name it in its `vehicleClass`.'),
    capacity: integer().positive().describe('Places for vehicles of this class.'),
    plateKinds: z
      .array(z.enum(PLATE_KINDS))
      .default([])
      .describe(
        'Plate kinds that put a vehicle in this class when its allow entry names no `vehicleClass`, e.g. `[commercial, trailer]`. Default: none.',
      ),
  })
  .describe('A class of vehicles with places of their own inside the yard (trucks, cars).');

const callForwardSchema = z
  .strictObject({
    required: z
      .boolean()
      .default(false)
      .describe(
        "The yard's exit lanes let out only vehicles called forward (central's `yard.call` or the page), in the order called; the others are held `not-called`.",
      ),
    expiresMinutes: z
      .number()
      .positive()
      .default(30)
      .describe('A call not used within this many minutes expires. Default 30.'),
  })
  .prefault({})
  .describe('Calling vehicles forward from the yard to the crossing.');

export const yardSchema = z
  .strictObject({
    id: slug().describe('Short stable id of the yard (slug), unique within the site, e.g. `kth-yard`.'),
    name: nonEmptyString().optional().describe('Human-readable name. Default: the id.'),
    capacity: integer().positive().describe('How many vehicles the yard holds, all classes together.'),
    classes: z
      .array(yardClassSchema)
      .default([])
      .describe(
        'Places per vehicle class, within `capacity`. A vehicle in no class counts against `capacity` only. Default: none.',
      ),
    entryLanes: laneIds()
      .min(1)
      .describe('Lanes whose passage starts a visit to the yard; a lane is the entry of at most one yard.'),
    exitLanes: laneIds()
      .default([])
      .describe(
        'Lanes whose passage ends a visit; a lane is the exit of at most one yard. Empty: visits end by `yard.correct` only (exits on another computer).',
      ),
    overstayMinutes: z
      .array(z.number().positive())
      .min(1)
      .default([240])
      // Ascending and without repeats, so a visit's overstay level counts the thresholds it crossed.
      .transform((v) => [...new Set(v)].sort((a, b) => a - b))
      .describe(
        'Dwells (minutes) after which a vehicle inside raises `yard.overstay`, once per threshold, e.g. `[240, 480]`. Default [240].',
      ),
    fullAlarmMinutes: z
      .number()
      .positive()
      .default(30)
      .describe('The yard full for this many minutes raises the `yard.full` alarm, once per spell. Default 30.'),
    whenRoom: z
      .enum(YARD_ROOM_ACTIONS)
      .default('open')
      .describe(
        'When a place frees up, the oldest `yard-full` hold at its barrier is opened (`open`) or kept for the operator with the place held for it (`offer`). Default open.',
      ),
    callForward: callForwardSchema,
  })
  .transform((yard) => ({ ...yard, name: yard.name ?? yard.id }))
  .describe(
    'A yard between entry lanes and exit lanes (a waiting or inspection yard): who is inside, for how long, and whether there is room.',
  );

export type YardConfig = z.output<typeof yardSchema>;
export type YardClassConfig = YardConfig['classes'][number];
