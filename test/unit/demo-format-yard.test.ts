import { describe, expect, it } from 'vitest';
import { dwell, formatYardRecord, formatYardState } from '../../src/demo/format-yard.js';
import type { StoredEvent } from '../../src/store/types.js';
import type { YardState } from '../../src/yard/yard-state.js';

// The demo's lines about its yard (docs/demo-clip.md shows them in order).

function event(type: string, laneId: string, payload: Record<string, unknown>): StoredEvent {
  return { eventId: 'e1', type, laneId, payload } as unknown as StoredEvent;
}

describe('formatYardRecord', () => {
  it('says occupancy, full, who came in and through which lane', () => {
    expect(
      formatYardRecord(
        event('yard.entered', 'lane-1', {
          yardId: 'demo-yard',
          plate: '59P166480',
          occupancy: 3,
          capacity: 3,
          how: 'lane',
          overCapacity: false,
        }),
      ),
    ).toBe('yard demo-yard: 3/3 inside (full) — 59P166480 entered via lane-1');
    expect(
      formatYardRecord(
        event('yard.entered', 'gate', { yardId: 'y', plate: '29C12345', occupancy: 1, capacity: 3, how: 'correction' }),
      ),
    ).toBe('yard y: 1/3 inside — 29C12345 added by an operator');
  });

  it('says who left, as read, after how long', () => {
    expect(
      formatYardRecord(
        event('yard.left', 'lane-2', {
          yardId: 'demo-yard',
          plate: '云A68420',
          readPlate: 'T2513579',
          occupancy: 2,
          capacity: 3,
          dwellMs: 15_400,
          how: 'lane',
        }),
      ),
    ).toBe('yard demo-yard: 2/3 inside — 云A68420 left via lane-2 (read as T2513579) after 15 s');
    expect(
      formatYardRecord(
        event('yard.left', 'gate', {
          yardId: 'y',
          plate: 'X1',
          occupancy: 0,
          capacity: 3,
          dwellMs: 61_000,
          how: 'correction',
        }),
      ),
    ).toBe('yard y: 0/3 inside — X1 marked as left by an operator after 1 min 1 s');
  });

  it('says an overstay, the threshold in seconds under a minute', () => {
    expect(
      formatYardRecord(
        event('yard.overstay', 'gate', { yardId: 'y', plate: '29C12345', dwellMs: 26_100, thresholdMinutes: 0.4 }),
      ),
    ).toBe('yard y: OVERSTAY 29C12345 has been inside for 26 s (over 24 s)');
  });

  it('says why a lane opened for a held vehicle when the yard asked it, and nothing of other opens', () => {
    expect(
      formatYardRecord(
        event('barrier.actuation', 'lane-1', { phase: 'requested', cause: 'yard-room', plate: '云A12345' }),
      ),
    ).toBe('云A12345 let in: a place in the yard freed up');
    expect(
      formatYardRecord(event('barrier.actuation', 'lane-1', { phase: 'requested', cause: 'decision' })),
    ).toBeNull();
    expect(formatYardRecord(event('barrier.actuation', 'lane-1', { phase: 'result', cause: 'yard-room' }))).toBeNull();
    expect(formatYardRecord(event('vehicle', 'lane-1', { outcome: 'passed' }))).toBeNull();
  });
});

describe('formatYardState', () => {
  it('lists who is inside and for how long', () => {
    const state = {
      yardId: 'demo-yard',
      occupancy: 1,
      capacity: 3,
      vehicles: [{ plate: '云A68420', enteredAt: 1000 }],
      overstayMinutes: [0.4, 2],
    } as unknown as YardState;
    expect(formatYardState(state, 3500)).toBe(
      'yard demo-yard: 1/3 inside — 云A68420 (for 3 s); overstay after 24 s, 2 min',
    );
  });
});

describe('dwell', () => {
  it.each([
    [0, '0 s'],
    [59_400, '59 s'],
    [60_000, '1 min'],
    [125_000, '2 min 5 s'],
    [7_380_000, '2 h 3 min'],
    [3_600_000, '1 h'],
  ])('%d ms is %s', (ms, text) => expect(dwell(ms)).toBe(text));
});
