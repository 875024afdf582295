import { beforeEach, describe, expect, it } from 'vitest';
import type { ModbusRelaySimulator } from '../../src/barrier/modbus-simulator.js';
import { EventBus } from '../../src/core/bus.js';
import { silentLogger } from '../../src/core/log.js';
import { DemoTraffic } from '../../src/demo/demo-traffic.js';
import type { LaneEvents } from '../../src/lane/events.js';
import type { Hold } from '../../src/lane/flow/lane-state.js';
import { FakeClock } from '../helpers/fake-clock.js';

// The demo's vehicles on the simulated loop: driven by the lane's decisions, its barrier's
// answers and its state, with the loop's ups and downs recorded.

const TIMINGS = { driveOffMs: 600, turnBackMs: 2500, yardWaitMs: 4500 };

let clock: FakeClock;
let bus: EventBus<LaneEvents>;
let loop: boolean[];

beforeEach(async () => {
  clock = new FakeClock();
  bus = new EventBus<LaneEvents>(silentLogger);
  loop = [];
  const sim = { setLoop: (occupied: boolean) => loop.push(occupied) } as unknown as ModbusRelaySimulator;
  await new DemoTraffic({ bus, clock }, new Map([['lane-1', sim]]), TIMINGS).start();
});

function decided(eventId: string, action: 'open' | 'hold' | 'deny', reason: string): void {
  bus.emit('lane.decision', { laneId: 'lane-1', eventId, decision: { action, reason } } as never);
}

function actuation(eventId: string, payload: Record<string, unknown>): void {
  bus.emit('lane.recorded', { laneId: 'lane-1', event: { eventId, type: 'barrier.actuation', payload } } as never);
}

function held(holds: Pick<Hold, 'holdId' | 'reason'>[]): void {
  bus.emit('lane.state', { laneId: 'lane-1', state: { phase: 'held', holds } } as never);
}

describe('DemoTraffic', () => {
  it('drives an opened vehicle off the loop once the barrier has opened', () => {
    decided('d1', 'open', 'allowed');
    expect(loop).toEqual([true]);
    actuation('a1', { phase: 'requested', cause: 'decision' });
    clock.advance(10_000);
    expect(loop).toEqual([true]); // still waiting for the boom
    actuation('a2', { phase: 'result', ok: true });
    clock.advance(599);
    expect(loop).toEqual([true]);
    clock.advance(1);
    expect(loop).toEqual([true, false]);
  });

  it('turns a held vehicle back after turnBackMs, and one held yard-full only after yardWaitMs', () => {
    decided('d1', 'hold', 'unknown-plate');
    clock.advance(2500);
    expect(loop).toEqual([true, false]);
    decided('d2', 'hold', 'yard-full');
    clock.advance(4499);
    expect(loop).toEqual([true, false, true]);
    clock.advance(1);
    expect(loop).toEqual([true, false, true, false]);
  });

  it('lets a waiting vehicle through instead when the barrier opens for it', () => {
    decided('d1', 'hold', 'yard-full');
    clock.advance(2000);
    actuation('a1', { phase: 'requested', cause: 'yard-room', holdId: 'd1' });
    clock.advance(5000);
    expect(loop).toEqual([true]); // no turning back
    actuation('a2', { phase: 'result', ok: true });
    clock.advance(600);
    expect(loop).toEqual([true, false]);
  });

  it('keeps a vehicle decided behind another off the loop until the lane calls it to the barrier', () => {
    decided('d1', 'hold', 'yard-full');
    decided('d2', 'hold', 'permit-expired'); // behind it: the lane queues its hold
    expect(loop).toEqual([true]);
    held([
      { holdId: 'd1', reason: 'yard-full' },
      { holdId: 'd2', reason: 'permit-expired' },
    ]);
    clock.advance(4500); // the first turns back
    expect(loop).toEqual([true, false]);
    held([
      { holdId: 'd1', reason: 'yard-full' },
      { holdId: 'd2', reason: 'permit-expired' },
    ]); // the lane has not seen the loop clear yet: the first is not put back
    expect(loop).toEqual([true, false]);
    held([{ holdId: 'd2', reason: 'permit-expired' }]); // the second is at the barrier now
    expect(loop).toEqual([true, false, true]);
    clock.advance(2500);
    expect(loop).toEqual([true, false, true, false]);
  });

  it('turns back a vehicle the barrier failed to open for, and does not bring it back under its new hold', () => {
    decided('d1', 'open', 'allowed');
    actuation('a1', { phase: 'requested', cause: 'decision' });
    actuation('a2', { phase: 'result', ok: false });
    held([{ holdId: 'a2', reason: 'barrier-not-opened' }]);
    clock.advance(2500);
    expect(loop).toEqual([true, false]);
    held([{ holdId: 'a2', reason: 'barrier-not-opened' }]);
    expect(loop).toEqual([true, false]);
  });
});
