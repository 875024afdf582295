import type { Service } from '../core/service.js';
import type { YardRequest, YardResult, YardService } from '../yard/yard-service.js';

/**
 * The demo's yard, between lane-1 (entry) and lane-2 (exit). Small and quick, so that its
 * story plays within the clips' first 45 s loop (docs/demo-clip.md has the timeline): it fills
 * up, the blue car is held `yard-full` until the truck leaves through lane-2 and is then let in
 * by itself, and the grey car stays long enough to raise `yard.overstay`.
 */
export const DEMO_YARD = {
  id: 'demo-yard',
  name: 'Demo yard',
  capacity: 3,
  entryLanes: ['lane-1'],
  exitLanes: ['lane-2'],
  /** 24 s: only the car that stays longest in every loop reaches it (the others stay under 20 s). */
  overstayMinutes: [0.4],
  whenRoom: 'open',
} as const;

/**
 * Inside when the demo starts: the cross-border truck, which lane-1 lets in at the end of each
 * loop of its clip and lane-2 lets out in the next, so the first loop goes as every other one.
 * Added under its Chinese plate: the exit matches a read of either plate to it.
 */
export const DEMO_YARD_START = { plate: '云A68420' };

/**
 * Starts the demo's yard as the clips expect it, at every demo start (like the demo's lists):
 * whatever a previous run left inside is marked as left, and the truck the clips start with is
 * added. Both as an operator's corrections, recorded like any other (operator `demo`).
 */
export class DemoYard implements Service {
  readonly name = 'demo-yard';

  constructor(private readonly yards: Pick<YardService, 'state' | 'markLeft' | 'addVehicle'>) {}

  async start(): Promise<void> {
    const state = this.yards.state(DEMO_YARD.id);
    if (!state) return;
    const request = (reason: string): YardRequest => ({ operator: 'demo', source: 'cli', reason });
    for (const vehicle of state.vehicles)
      check(
        this.yards.markLeft(DEMO_YARD.id, { visitId: vehicle.visitId }, request('the demo starts its yard afresh')),
      );
    check(
      this.yards.addVehicle(
        DEMO_YARD.id,
        DEMO_YARD_START,
        request('in the yard when the demo starts: its clips begin with it inside'),
      ),
    );
  }

  async stop(): Promise<void> {}
}

function check(result: YardResult): void {
  if (!result.ok) throw new Error(`the demo could not set up ${DEMO_YARD.id}: ${result.message}`);
}
