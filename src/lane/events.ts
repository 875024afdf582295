import type { VotedPlateRead } from '../plates/voter.js';
import type { Decision } from './decide.js';

/** Everything the lane tells the rest of the daemon, by event name. */
export interface LaneEvents extends Record<string, unknown> {
  /** One voted plate read per vehicle. */
  'plate.read': { laneId: string; read: VotedPlateRead };
  /** What the lane decided for that read (recorded before this is emitted). */
  'lane.decision': { laneId: string; read: VotedPlateRead; decision: Decision };
}
