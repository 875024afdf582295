import { describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../src/core/log.js';
import { yardStateSchema } from '../../src/uplink/contract.js';
import {
  YARD_STATE_MIN_INTERVAL_MS,
  YardStatePublisher,
  type YardStates,
} from '../../src/uplink/yard-state-publisher.js';
import type { YardState } from '../../src/yard/yard-state.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { ScriptedPublisher } from '../helpers/scripted-publisher.js';

/** Two yards whose occupancy the test sets; dwell grows with the clock, as the YardService's does. */
function fakeYards(clock: FakeClock) {
  const occupancy = new Map([
    ['kth-yard', 1],
    ['bus-yard', 0],
  ]);
  const enteredAt = clock.now();
  const yards: YardStates = {
    yardIds: () => [...occupancy.keys()],
    state: (yardId): YardState | null => {
      const inside = occupancy.get(yardId);
      if (inside === undefined) return null;
      const now = clock.now();
      return {
        yardId,
        name: yardId,
        ts: now,
        capacity: 2,
        occupancy: inside,
        reserved: 0,
        full: inside >= 2,
        fullSince: null,
        classes: [],
        overstayMinutes: [240],
        vehicles: Array.from({ length: inside }, (_, i) => ({
          visitId: `visit-${i}`,
          plate: `29C1234${i}`,
          display: `29C-123.4${i}`,
          pairedPlate: null,
          vehicleClass: null,
          enteredAt,
          dwellMs: now - enteredAt,
          entryLaneId: 'entry-1',
          overstay: 0,
          called: false,
        })),
        holds: [],
        calls: [],
      };
    },
  };
  return { yards, occupancy };
}

function setUp() {
  const clock = new FakeClock();
  const publisher = new ScriptedPublisher();
  const { yards, occupancy } = fakeYards(clock);
  const warnings: string[] = [];
  const log: Logger = { ...silentLogger, warn: (_obj, msg) => warnings.push(msg ?? ''), child: () => log };
  const states = new YardStatePublisher({ clock, log }, publisher, {
    prefix: 'smartgate/v1',
    siteId: 'mlt-kth',
    intervalMs: 15_000,
    yards,
  });
  const sent = (yardId?: string) =>
    publisher.sent
      .map((s) => s.message)
      .filter((m) => yardId === undefined || m.topic === `smartgate/v1/mlt-kth/yards/${yardId}/state`)
      .map((m) => JSON.parse(m.payload) as YardState);
  return { clock, publisher, states, occupancy, sent, warnings };
}

describe('YardStatePublisher', () => {
  it("publishes every yard's state, retained at QoS 0, on connect, in the contract's shape; nothing while down", async () => {
    const { publisher, states, sent } = setUp();
    await states.start();
    states.changed('kth-yard');
    expect(publisher.sent).toEqual([]);
    publisher.setConnected(true);
    expect(publisher.sent.map((s) => [s.message.topic, s.message.qos, s.message.retain])).toEqual([
      ['smartgate/v1/mlt-kth/yards/kth-yard/state', 0, true],
      ['smartgate/v1/mlt-kth/yards/bus-yard/state', 0, true],
    ]);
    const [state] = sent('kth-yard');
    expect(yardStateSchema.parse(state)).toMatchObject({
      yardId: 'kth-yard',
      occupancy: 1,
      capacity: 2,
      vehicles: [{ plate: '29C12340', entryLaneId: 'entry-1', dwellMs: 0 }],
      holds: [],
    });
    await states.stop();
  });

  it('sends a burst of changes as one message, then at most one a second, ending with the latest state', async () => {
    const { clock, publisher, states, occupancy, sent } = setUp();
    await states.start();
    publisher.setConnected(true);
    clock.advance(5000);
    const before = publisher.sent.length;

    // One passage: several changes in the same call stack go out once, after it.
    occupancy.set('kth-yard', 2);
    states.changed('kth-yard');
    states.changed('kth-yard');
    expect(publisher.sent).toHaveLength(before);
    clock.advance(0);
    expect(
      sent('kth-yard')
        .slice(1)
        .map((s) => s.occupancy),
    ).toEqual([2]);

    // More changes within the second: held back, and only the state at the end of it goes out.
    clock.advance(200);
    occupancy.set('kth-yard', 1);
    states.changed('kth-yard');
    clock.advance(300);
    occupancy.set('kth-yard', 0);
    states.changed('kth-yard');
    clock.advance(YARD_STATE_MIN_INTERVAL_MS - 500 - 1);
    expect(
      sent('kth-yard')
        .slice(1)
        .map((s) => s.occupancy),
    ).toEqual([2]);
    clock.advance(1);
    expect(
      sent('kth-yard')
        .slice(1)
        .map((s) => s.occupancy),
    ).toEqual([2, 0]);

    // Quiet: nothing more until the interval.
    clock.advance(5000);
    expect(sent('kth-yard')).toHaveLength(3);
    await states.stop();
  });

  it("holds back one yard's changes without delaying another's", async () => {
    const { clock, publisher, states, sent } = setUp();
    await states.start();
    publisher.setConnected(true);
    clock.advance(2000);
    states.changed('kth-yard');
    clock.advance(100);
    expect(sent('kth-yard')).toHaveLength(2);
    states.changed('kth-yard'); // within its second: waits
    states.changed('bus-yard'); // its own last one was at connect: goes at once
    clock.advance(0);
    expect(sent('kth-yard')).toHaveLength(2);
    expect(sent('bus-yard')).toHaveLength(2);
    clock.advance(YARD_STATE_MIN_INTERVAL_MS - 100);
    expect(sent('kth-yard')).toHaveLength(3);
    expect(sent('bus-yard')).toHaveLength(2);
    await states.stop();
  });

  it('replaces every state each interval while connected (dwell grows), not while down, and at once on reconnect', async () => {
    const { clock, publisher, states, sent } = setUp();
    await states.start();
    publisher.setConnected(true);
    clock.advance(15_000);
    expect(sent('kth-yard').map((s) => s.vehicles[0]!.dwellMs)).toEqual([0, 15_000]);
    publisher.setConnected(false);
    states.changed('kth-yard'); // down: not queued
    clock.advance(45_000);
    expect(sent('kth-yard')).toHaveLength(2);
    publisher.setConnected(true);
    expect(sent('kth-yard').map((s) => s.vehicles[0]!.dwellMs)).toEqual([0, 15_000, 60_000]);
    await states.stop();
  });

  it('drops a change whose link went down before its turn, and stops publishing and listening on stop', async () => {
    const { clock, publisher, states, sent } = setUp();
    await states.start();
    publisher.setConnected(true);
    states.changed('kth-yard');
    publisher.connected = false; // gone before the timer fires, its listeners not told yet
    clock.advance(0);
    expect(sent('kth-yard')).toHaveLength(1);
    publisher.connected = true;
    states.changed('kth-yard');
    await states.stop();
    expect(publisher.listenerCount()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(60_000);
    publisher.setConnected(true);
    expect(sent('kth-yard')).toHaveLength(1);
  });

  it('says once per connection that the broker refused a yard state (its ACL), not on every publish', async () => {
    const { clock, publisher, states, warnings } = setUp();
    await states.start();
    const notAuthorized = Object.assign(new Error('Publish error: Not authorized'), { code: 135 });
    publisher.setConnected(true);
    for (const s of publisher.sent.splice(0)) s.done(notAuthorized);
    clock.advance(15_000);
    for (const s of publisher.sent.splice(0)) s.done(notAuthorized);
    expect(warnings).toEqual([
      expect.stringContaining('its ACL must let the gate write {prefix}/{site}/yards/+/state'),
    ]);
    publisher.setConnected(false);
    publisher.setConnected(true);
    for (const s of publisher.sent.splice(0)) s.done(notAuthorized);
    expect(warnings).toHaveLength(2);
    // A link that went down under a publish is no refusal.
    clock.advance(15_000);
    publisher.setConnected(false);
    publisher.setConnected(true);
    for (const s of publisher.sent.splice(0)) s.done(new Error('not connected'));
    expect(warnings).toHaveLength(2);
    await states.stop();
  });
});
