import { z } from 'zod';
import { integer, positiveMs } from './fields.js';

export const votingSchema = z
  .strictObject({
    minVotes: integer()
      .min(1)
      .default(3)
      .describe('Reads of the same text needed to report a plate before the vehicle has left.'),
    similarity: z
      .number()
      .gt(0)
      .max(1)
      .default(0.75)
      .describe("Edit-distance similarity (0 < s ≤ 1) at which two reads count as the same vehicle's plate."),
    vehicleGapMs: positiveMs().default(3000).describe('No read for this long (ms) means the vehicle has left.'),
    repeatWindowMs: integer()
      .nonnegative()
      .default(60_000)
      .describe('The same plate seen again within this long (ms) is the same vehicle, not a new passage.'),
    companionFrames: integer()
      .min(1)
      .default(2)
      .describe(
        "Frames in which a plate of the other country (VN beside CN) must be read beside a vehicle's plate to count as that vehicle's second plate, decided with it.",
      ),
    minReadsUnreadable: integer()
      .min(1)
      .default(3)
      .describe(
        'Reads a vehicle whose plate the grammar never accepted needs before it is held as unreadable; fewer is a glimpse (a plate at the edge of the view, frames the reader abstained on), dropped.',
      ),
    blurredEntryMs: integer()
      .nonnegative()
      .default(500)
      .describe(
        "A plate read in fewer than minVotes frames, at most this long (ms) before another plate's reads began at the same place in the frame, is that vehicle's plate blurred as it entered the view, and is dropped; 0 turns this off.",
      ),
  })
  .prefault({})
  .describe('How the reads of one vehicle are voted into one plate.');

export type VotingConfig = z.infer<typeof votingSchema>;
