/** What the yards tell the rest of the daemon, by event name (beside the lanes' LaneEvents). */
export interface YardEvents extends Record<string, unknown> {
  /** A yard's occupancy, vehicles, holds or calls changed: its state (YardService.state) is new. */
  'yard.changed': { yardId: string };
}
