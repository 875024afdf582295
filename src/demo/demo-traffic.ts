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
}

/** Paced to the demo clip: each vehicle is gone before the next one arrives 5 s later. */
export const DEMO_TRAFFIC_TIMINGS: DemoTrafficTimings = { driveOffMs: 600, turnBackMs: 2500 };

/**
 * The vehicles of the demo clip on the simulated loop: a vehicle is on the loop once the lane
 * has decided on it (the clip has no loop of its own), drives off once the barrier has opened,
 * and turns back when it was held or refused. This is what makes the demo lane's state machine
 * go through its phases; nothing of it runs outside the demo.
 */
export class DemoTraffic implements Service {
  readonly name = 'demo-traffic';
  private readonly timers = new Set<Timer>();

  constructor(
    private readonly ctx: { bus: EventBus<LaneEvents>; clock: Clock },
    private readonly simulators: ReadonlyMap<string, ModbusRelaySimulator>,
    private readonly timings: DemoTrafficTimings = DEMO_TRAFFIC_TIMINGS,
  ) {}

  async start(): Promise<void> {
    this.ctx.bus.on(this, 'lane.decision', ({ laneId, decision }) => {
      const sim = this.simulators.get(laneId);
      if (!sim) return;
      sim.setLoop(true);
      if (decision.action !== 'open') this.later(this.timings.turnBackMs, () => sim.setLoop(false));
    });
    this.ctx.bus.on(this, 'lane.recorded', ({ laneId, event }) => {
      const sim = this.simulators.get(laneId);
      if (!sim || event.type !== 'barrier.actuation' || event.payload.phase !== 'result') return;
      // Opened: drive through. Not opened: the lane holds the vehicle, which then turns back.
      this.later(event.payload.ok ? this.timings.driveOffMs : this.timings.turnBackMs, () => sim.setLoop(false));
    });
  }

  async stop(): Promise<void> {
    this.ctx.bus.removeAll(this);
    for (const t of this.timers) this.ctx.clock.clearTimeout(t);
    this.timers.clear();
  }

  private later(ms: number, fn: () => void): void {
    const timer = this.ctx.clock.setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }
}
