import { describe, expect, it } from 'vitest';
import { pendingHolds } from '../../src/lane/flow/pending-holds.js';
import type { EventType, StoredEvent } from '../../src/store/types.js';

let n = 0;
/** An event as the lane controller records it; ids sort in recording order. */
function ev(
  type: EventType,
  payload: Record<string, unknown>,
  eventId = `E${String(++n).padStart(4, '0')}`,
): StoredEvent {
  return {
    eventId,
    bootId: 'b',
    seq: n,
    siteId: 's',
    laneId: 'entry-1',
    type,
    ts: 1_000 + n,
    monoAt: n,
    payload,
    hasCrop: false,
    chain: null,
  };
}
const decision = (id: string, action: 'open' | 'hold' | 'deny', text: string, reason = 'unknown-plate') =>
  ev(
    'decision',
    {
      action,
      reason,
      detail: `${text} is on no list`,
      plate: { text, display: `${text.slice(0, 3)}-${text.slice(3)}` },
    },
    id,
  );
const requested = (id: string, cause: string, decisionId: string | null, holdId: string | null, plate: string | null) =>
  ev('barrier.actuation', { phase: 'requested', cause, decisionId, holdId, plate }, id);
const failed = (id: string, requestId: string) =>
  ev(
    'barrier.actuation',
    { phase: 'result', requestId, ok: false, outcome: 'timeout', error: 'no open limit within 3000 ms' },
    id,
  );
const opened = (requestId: string) =>
  ev('barrier.actuation', { phase: 'result', requestId, ok: true, outcome: 'opened' });
const vehicle = (outcome: string, decisionId: string | null, holdId: string | null) =>
  ev('vehicle', { outcome, plate: null, decisionId, holdId, durationMs: 1 });
const action = (name: string, holdId: string | null) =>
  ev('operator.action', { action: name, holdId, operator: 'op', reason: 'r', source: 'page' });

describe("pendingHolds: the holds a lane's recorded events leave unresolved", () => {
  const table: [string, StoredEvent[], string[]][] = [
    ['nothing recorded', [], []],
    [
      'an open and a deny make no hold',
      [decision('D1', 'open', '29C12345', 'allowed'), decision('D2', 'deny', '29C12346', 'deny-list')],
      [],
    ],
    ['a hold decision, unresolved', [decision('D1', 'hold', '29C99999')], ['D1']],
    [
      'confirmed: the open it caused names it',
      [decision('D1', 'hold', '29C99999'), action('confirm', 'D1'), requested('R1', 'confirm', 'D1', 'D1', '29C99999')],
      [],
    ],
    [
      'refused at the barrier',
      [decision('D1', 'hold', '29C99999'), action('refuse', 'D1'), vehicle('refused', 'D1', 'D1')],
      [],
    ],
    ['the vehicle left the loop', [decision('D1', 'hold', '29C99999'), vehicle('left', 'D1', 'D1')], []],
    [
      'manual open while held',
      [
        decision('D1', 'hold', '29C99999'),
        action('manual-open', 'D1'),
        requested('R1', 'manual-open', 'D1', 'D1', '29C99999'),
      ],
      [],
    ],
    [
      "the operator's action alone (crash before the open was requested) resolves it",
      [decision('D1', 'hold', '29C99999'), action('confirm', 'D1')],
      [],
    ],
    [
      'two holds, the first refused: the second waits',
      [
        decision('D1', 'hold', '29C99999'),
        decision('D2', 'hold', '51F12345', 'lane-busy'),
        vehicle('refused', 'D1', 'D1'),
      ],
      ['D2'],
    ],
    [
      'two holds, both pending, oldest first',
      [decision('D1', 'hold', '29C99999'), decision('D2', 'hold', '51F12345', 'lane-busy')],
      ['D1', 'D2'],
    ],
    [
      'a failed open is a hold',
      [
        decision('D1', 'open', '29C12345', 'allowed'),
        requested('R1', 'decision', 'D1', null, '29C12345'),
        failed('F1', 'R1'),
      ],
      ['F1'],
    ],
    [
      'a failed open, then confirmed',
      [
        decision('D1', 'open', '29C12345', 'allowed'),
        requested('R1', 'decision', 'D1', null, '29C12345'),
        failed('F1', 'R1'),
        requested('R2', 'confirm', 'D1', 'F1', '29C12345'),
        opened('R2'),
      ],
      [],
    ],
    [
      'an open that fails after its vehicle was seen passing is no hold (the lane was past opening)',
      [
        decision('D1', 'open', '29C12345', 'allowed'),
        requested('R1', 'decision', 'D1', null, '29C12345'),
        vehicle('passed', 'D1', null),
        failed('F1', 'R1'),
      ],
      [],
    ],
    [
      'the lane gave up waiting (no-answer), then a late failure came: one hold, the first',
      [
        decision('D1', 'open', '29C12345', 'allowed'),
        requested('R1', 'decision', 'D1', null, '29C12345'),
        failed('F1', 'R1'),
        failed('F2', 'R1'),
      ],
      ['F1'],
    ],
    [
      'a late failure after a success is no hold',
      [requested('R1', 'manual-open', null, null, null), opened('R1'), failed('F2', 'R1')],
      [],
    ],
    [
      'a failed open asked for by smartgate barrier is no hold: no lane was holding',
      [
        ev(
          'barrier.actuation',
          { phase: 'requested', cause: 'manual-open', decisionId: null, holdId: null, plate: null, source: 'cli' },
          'R1',
        ),
        failed('F1', 'R1'),
      ],
      [],
    ],
    [
      'a successful open is no hold',
      [
        decision('D1', 'open', '29C12345', 'allowed'),
        requested('R1', 'decision', 'D1', null, '29C12345'),
        opened('R1'),
        vehicle('passed', 'D1', null),
      ],
      [],
    ],
  ];
  it.each(table)('%s', (_name, events, ids) => {
    expect(pendingHolds(events).map((h) => h.holdId)).toEqual(ids);
  });

  it('a hold decision gives the hold the plate, display, reason, detail and time it was made with', () => {
    const d = decision('D1', 'hold', '29C99999');
    expect(pendingHolds([d])).toEqual([
      {
        holdId: 'D1',
        plate: '29C99999',
        display: '29C-99999',
        reason: 'unknown-plate',
        detail: '29C99999 is on no list',
        createdAt: d.ts,
      },
    ]);
  });

  it("a failed open's hold names the vehicle of the open and why it failed, as the lane does", () => {
    const f = failed('F1', 'R1');
    const events = [
      decision('D1', 'open', '29C12345', 'allowed'),
      requested('R1', 'decision', 'D1', null, '29C12345'),
      f,
    ];
    expect(pendingHolds(events)).toEqual([
      {
        holdId: 'F1',
        plate: '29C12345',
        display: '29C-12345',
        reason: 'barrier-not-opened',
        detail: 'timeout: no open limit within 3000 ms',
        createdAt: f.ts,
      },
    ]);
  });

  it('a failed manual open (no plate) is a hold without a plate; a malformed payload does not throw', () => {
    const events = [
      requested('R1', 'manual-open', null, null, null),
      failed('F1', 'R1'),
      ev('decision', { action: 'hold', plate: 'not an object' }, 'D9'),
    ];
    expect(pendingHolds(events)).toEqual([
      expect.objectContaining({ holdId: 'F1', plate: null, display: null, reason: 'barrier-not-opened' }),
      expect.objectContaining({ holdId: 'D9', plate: null, display: null, reason: '', detail: '' }),
    ]);
  });
});
