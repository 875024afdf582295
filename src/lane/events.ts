import type { VotedPlateRead } from '../plates/voter.js';

/** Everything the lane tells the rest of the daemon, by event name. */
export interface LaneEvents extends Record<string, unknown> {
  /** One voted plate read per vehicle. */
  'plate.read': { laneId: string; read: VotedPlateRead };
}
