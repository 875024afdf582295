import type { VotedPlateRead } from '../plates/voter.js';
import type { StoredEvent } from '../store/types.js';
import type { Decision } from './deciding/decide.js';
import type { LaneSnapshot } from './flow/lane-snapshot.js';

/** Everything the lane tells the rest of the daemon, by event name. */
export interface LaneEvents extends Record<string, unknown> {
  /** One voted plate read per vehicle. */
  'plate.read': { laneId: string; read: VotedPlateRead };
  /**
   * What the lane decided for that read (recorded before this is emitted). `eventId`: the
   * recorded `decision` event, so listeners can attach things to it (its evidence frame).
   */
  'lane.decision': { laneId: string; eventId: string; read: VotedPlateRead; decision: Decision };
  /**
   * An event the lane controller recorded: an actuation, an alarm, an operator's action, or
   * the end of a vehicle's visit. Emitted after it is stored.
   */
  'lane.recorded': { laneId: string; event: StoredEvent };
  /** The lane's phase, vehicle, pending holds or barrier changed. */
  'lane.state': { laneId: string; state: LaneSnapshot };
}
