/**
 * The lane id of events about the gate as a whole (a site-level command, a list push, a login):
 * events always have a lane, and the config refuses a real lane with this id.
 */
export const GATE_LANE_ID = 'gate';
