import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import { healthSchema, laneStateSchema } from '../../src/uplink/contract.js';
import type { GateSnapshot } from '../../src/uplink/contract.js';
import { StatePublisher } from '../../src/uplink/state-publisher.js';
import { ScriptedPublisher } from '../helpers/scripted-publisher.js';

function snapshotAt(clock: FakeClock): GateSnapshot {
  const ts = clock.now();
  return {
    health: {
      bootId: 'boot-1',
      version: '0.1.0',
      ts,
      uptimeMs: clock.monotonic(),
      outboxPending: 3,
      store: { usedBytes: 4096, quotaBytes: 10 * 2 ** 30, quotaExceeded: false },
      lanes: ['entry-1'],
    },
    lanes: [
      {
        laneId: 'entry-1',
        ts,
        camera: {
          state: 'streaming',
          fpsIn: 5,
          fpsProcessed: 4.8,
          framesDropped: 2,
          lastFrameAgeMs: 120,
          restarts: 0,
          lastError: null,
        },
        reader: { framesProcessed: 10, framesSkippedNoMotion: 4, inferences: 6, lastInferenceMs: 85, platesEmitted: 1 },
        flow: { phase: 'idle', phaseAgeMs: 0, vehicle: null, holds: [], loop: null },
        barrier: null,
      },
    ],
  };
}

function setUp() {
  const clock = new FakeClock();
  const publisher = new ScriptedPublisher();
  const state = new StatePublisher({ clock, log: silentLogger }, publisher, {
    prefix: 'smartgate/v1',
    siteId: 'mlt-kth',
    intervalMs: 15_000,
    snapshot: () => snapshotAt(clock),
  });
  return { clock, publisher, state };
}

describe('StatePublisher', () => {
  it('publishes retained health and lane state at QoS 0 on connect, in the contract shapes', async () => {
    const { publisher, state } = setUp();
    await state.start();
    expect(publisher.sent).toEqual([]); // not connected: nothing, and nothing queued
    publisher.setConnected(true);
    expect(publisher.sent.map((s) => [s.message.topic, s.message.qos, s.message.retain])).toEqual([
      ['smartgate/v1/mlt-kth/entry-1/state', 0, true],
      ['smartgate/v1/mlt-kth/health', 0, true],
    ]);
    expect(laneStateSchema.safeParse(JSON.parse(publisher.sent[0]!.message.payload)).success).toBe(true);
    expect(healthSchema.safeParse(JSON.parse(publisher.sent[1]!.message.payload)).success).toBe(true);
    await state.stop();
  });

  it('replaces the snapshots every interval while connected, and not while disconnected', async () => {
    const { clock, publisher, state } = setUp();
    await state.start();
    publisher.setConnected(true);
    clock.advance(15_000);
    expect(publisher.sent).toHaveLength(4);
    expect(JSON.parse(publisher.sent[3]!.message.payload).uptimeMs).toBe(15_000);
    publisher.setConnected(false);
    clock.advance(45_000);
    expect(publisher.sent).toHaveLength(4);
    publisher.setConnected(true); // back: at once, not at the next tick
    expect(publisher.sent).toHaveLength(6);
    await state.stop();
  });

  it('stops publishing and listening on stop', async () => {
    const { clock, publisher, state } = setUp();
    await state.start();
    publisher.setConnected(true);
    await state.stop();
    expect(publisher.listenerCount()).toBe(0);
    clock.advance(60_000);
    publisher.setConnected(true);
    expect(publisher.sent).toHaveLength(2);
  });
});
