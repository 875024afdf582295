import { z } from 'zod';
import { barrierSchema } from './barrier.js';
import { laneDecisionsSchema } from './decisions.js';
import { cameraSchema } from './camera.js';
import { flowSchema } from './flow.js';
import { nonEmptyString, slug } from './fields.js';
import { recognitionSchema } from './recognition.js';
import { roiSchema } from './roi.js';
import { reportProblems, reservedLaneId, roiOutsideFrame } from './rules.js';
import { votingSchema } from './voting.js';

export const LANE_DIRECTIONS = ['entry', 'exit'] as const;

/** A lane as written in the file; `name` and `roi` may be left out. */
const laneFields = z.strictObject({
  id: slug()
    .superRefine((id, ctx) => reportProblems(ctx, reservedLaneId(id)))
    .describe(
      'Short stable id of the lane (slug), unique within the site, e.g. `kth-in`; `gate`, `commands`, `lists`, `replies`, `yards` and `postcheck` are reserved.',
    ),
  name: nonEmptyString().optional().describe('Human-readable name of the lane. Default: the id.'),
  direction: z.enum(LANE_DIRECTIONS).describe('Traffic direction through the gate: entry or exit.'),
  camera: cameraSchema,
  roi: roiSchema.optional(),
  recognition: recognitionSchema,
  voting: votingSchema,
  decisions: laneDecisionsSchema,
  barrier: barrierSchema,
  flow: flowSchema,
});

export const laneSchema = laneFields
  .superRefine((lane, ctx) => {
    if (lane.roi) reportProblems(ctx, roiOutsideFrame(lane.roi, lane.camera));
  })
  // Fill the defaults that depend on other fields, so consumers never handle "absent".
  .transform((lane) => ({
    ...lane,
    name: lane.name ?? lane.id,
    roi: lane.roi ?? { x: 0, y: 0, w: lane.camera.width, h: lane.camera.height },
  }))
  .describe('One lane: a camera looking at one stream of vehicles, and how its plates are read.');

export type LaneConfig = z.infer<typeof laneSchema>;
