import type { ModbusRelaySimulator } from '../barrier/modbus-simulator.js';
import type { EventBus } from '../core/bus.js';
import type { Clock, Timer } from '../core/clock.js';
import type { Service } from '../core/service.js';
import type { LaneEvents } from '../lane/events.js';

export interface DemoTrafficTimings {
  /** After the barrier reports open, the vehicle drives off the loop this long later, ms. */
  driveOffMs: number;
  /** A held or refused vehicle turns back (leaves the loop) this long after the decision, ms. */
  turnBackMs: number;
  /**
   * A vehicle held `yard-full` waits this long for a place in the yard before it turns back,
   * ms (at least turnBackMs): long enough for the vehicle leaving through the exit lane to
   * free one, short enough to be gone before the clip's next vehicle.
   */
  yardWaitMs: number;
}

/** Paced to the demo clips: each vehicle is gone before the next one arrives 5 s later. */
export const DEMO_TRAFFIC_TIMINGS: DemoTrafficTimings = { driveOffMs: 600, turnBackMs: 2500, yardWaitMs: 4500 };

/** Vehicle ids that have been on a loop, kept so a lane still showing one is not put back on. */
const MAX_SEEN = 64;

interface LaneTraffic {
  sim: ModbusRelaySimulator;
  /** The decision or hold of the vehicle on the loop; null when the loop is free. */
  onLoop: string | null;
  /** Its turn-back, if it is waiting. */
  turnBack: Timer | null;
  seen: Set<string>;
}

/**
 * The vehicles of the demo clips on the lanes' simulated loops: a vehicle drives onto the loop
 * once the lane has decided on it (the clips have no loop of their own), drives off once the
 * barrier has opened, and turns back when it was held or refused, unless the barrier opens for
 * it meanwhile (an operator's confirm, a place freed in the yard). A vehicle decided while
 * another is on the loop waits behind it: it comes onto the loop when the lane calls it forward
 * (its hold is then the one at the barrier), so a queued hold never stands at an empty loop.
 * This is what makes the demo lanes' state machines go through their phases; nothing of it
 * runs outside the demo.
 */
export class DemoTraffic implements Service {
  readonly name = 'demo-traffic';
  private readonly lanes = new Map<string, LaneTraffic>();
  private readonly timers = new Set<Timer>();

  constructor(
    private readonly ctx: { bus: EventBus<LaneEvents>; clock: Clock },
    simulators: ReadonlyMap<string, ModbusRelaySimulator>,
    private readonly timings: DemoTrafficTimings = DEMO_TRAFFIC_TIMINGS,
  ) {
    for (const [laneId, sim] of simulators)
      this.lanes.set(laneId, { sim, onLoop: null, turnBack: null, seen: new Set() });
  }

  async start(): Promise<void> {
    this.ctx.bus.on(this, 'lane.decision', ({ laneId, eventId, decision }) => {
      const lane = this.lanes.get(laneId);
      // Behind the vehicle on the loop: the lane holds it in its queue (or, refused, it drives away).
      if (!lane || lane.onLoop !== null) return;
      this.arrive(lane, eventId, decision.action === 'open' ? null : decision.reason);
    });
    this.ctx.bus.on(this, 'lane.state', ({ laneId, state }) => {
      const lane = this.lanes.get(laneId);
      const hold = state.phase === 'held' ? state.holds[0] : undefined;
      // The lane called a queued vehicle forward to the barrier.
      if (lane && hold && lane.onLoop === null && !lane.seen.has(hold.holdId))
        this.arrive(lane, hold.holdId, hold.reason);
    });
    this.ctx.bus.on(this, 'lane.recorded', ({ laneId, event }) => {
      const lane = this.lanes.get(laneId);
      if (!lane || event.type !== 'barrier.actuation') return;
      // The barrier opens for the waiting vehicle: it no longer turns back.
      if (event.payload.phase === 'requested') return this.cancelTurnBack(lane);
      if (event.payload.phase !== 'result') return;
      // Opened: drive through. Not opened: the lane holds the vehicle (under this event's id),
      // which then turns back.
      const vehicle = lane.onLoop;
      if (!event.payload.ok) this.remember(lane, event.eventId);
      this.later(event.payload.ok ? this.timings.driveOffMs : this.timings.turnBackMs, () => this.leave(lane, vehicle));
    });
  }

  async stop(): Promise<void> {
    this.ctx.bus.removeAll(this);
    for (const t of this.timers) this.ctx.clock.clearTimeout(t);
    this.timers.clear();
  }

  /** A vehicle drives onto the loop; `heldFor`: the hold's reason, when it is to turn back. */
  private arrive(lane: LaneTraffic, vehicle: string, heldFor: string | null): void {
    lane.onLoop = vehicle;
    this.remember(lane, vehicle);
    lane.sim.setLoop(true);
    if (heldFor === null) return;
    const wait =
      heldFor === 'yard-full' ? Math.max(this.timings.turnBackMs, this.timings.yardWaitMs) : this.timings.turnBackMs;
    lane.turnBack = this.later(wait, () => this.leave(lane, vehicle));
  }

  /** The vehicle leaves the loop (drove through or turned back), if it is still the one on it. */
  private leave(lane: LaneTraffic, vehicle: string | null): void {
    if (lane.onLoop !== vehicle) return;
    this.cancelTurnBack(lane);
    lane.onLoop = null;
    lane.sim.setLoop(false);
  }

  /** The lane may still show this vehicle's hold for a moment after it left: it is not put back. */
  private remember(lane: LaneTraffic, vehicle: string): void {
    lane.seen.add(vehicle);
    if (lane.seen.size > MAX_SEEN) lane.seen.delete(lane.seen.values().next().value!);
  }

  private cancelTurnBack(lane: LaneTraffic): void {
    if (lane.turnBack) this.clear(lane.turnBack);
    lane.turnBack = null;
  }

  private later(ms: number, fn: () => void): Timer {
    const timer = this.ctx.clock.setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private clear(timer: Timer): void {
    this.ctx.clock.clearTimeout(timer);
    this.timers.delete(timer);
  }
}
