import { describe, expect, it } from 'vitest';
import {
  admit,
  initialLaneState,
  nextDeadline,
  restoredLaneState,
  stepLane,
} from '../../src/lane/flow/lane-machine.js';
import type { LaneEffect, LaneFlowSettings, LaneInput, LaneMachineState } from '../../src/lane/flow/lane-state.js';

const SETTINGS: LaneFlowSettings = {
  waitAlarmMs: 60_000,
  passTimeoutMs: 20_000,
  cooldownMs: 10_000,
  boomCloseMs: 5000,
  openingTimeoutMs: 30_000,
};

const decided = (
  plate: string,
  action: 'open' | 'hold' | 'deny',
  id = `d-${plate}`,
  reason = action === 'open' ? 'allowed' : action === 'hold' ? 'unknown-plate' : 'watch-list',
): LaneInput => ({
  type: 'decided',
  decisionId: id,
  action,
  reason,
  detail: `${plate} ${reason}`,
  plate,
  display: plate,
  pairedPlate: null,
  at: 1_000,
});

/** Runs inputs at the given monotonic times and collects every effect. */
function run(start: LaneMachineState, steps: [number, LaneInput][]) {
  let state = start;
  const effects: LaneEffect[] = [];
  const refusals: string[] = [];
  for (const [t, input] of steps) {
    const next = stepLane(state, input, t, SETTINGS);
    state = next.state;
    effects.push(...next.effects);
    if (next.refusal) refusals.push(next.refusal.code);
  }
  return { state, effects, refusals };
}

const kinds = (effects: LaneEffect[]) =>
  effects.map((e) =>
    e.kind === 'actuate'
      ? `actuate:${e.cause}`
      : e.kind === 'alarm'
        ? `alarm:${e.alarm}`
        : e.kind === 'vehicle'
          ? `vehicle:${e.outcome}`
          : e.kind,
  );

const withLoop = () => initialLaneState(0, true);
const noInputs = () => initialLaneState(0, false);

describe('lane state machine', () => {
  const cases: {
    name: string;
    start: () => LaneMachineState;
    steps: [number, LaneInput][];
    phase: string;
    effects: string[];
    refusals?: string[];
  }[] = [
    {
      name: 'allowed vehicle on the loop: one open, passes when the loop clears, idle when the boom is down',
      start: withLoop,
      steps: [
        [0, { type: 'loop', occupied: true }],
        [100, decided('29C12345', 'open')],
        [200, { type: 'barrier', state: 'opening' }],
        [1_500, { type: 'barrier', state: 'open' }],
        [1_600, { type: 'actuated', ok: true, detail: 'open limit', eventId: 'a1', at: 2_000 }],
        [4_000, { type: 'loop', occupied: false }],
        [6_000, { type: 'barrier', state: 'closed' }],
      ],
      phase: 'idle',
      effects: ['actuate:decision', 'vehicle:passed'],
    },
    {
      name: 'decision before the loop (motion-read lanes): the loop seen after the open still counts',
      start: withLoop,
      steps: [
        [0, decided('29C12345', 'open')],
        [10, { type: 'actuated', ok: true, detail: '', eventId: 'a1', at: 0 }],
        [300, { type: 'loop', occupied: true }],
        [3_000, { type: 'loop', occupied: false }],
      ],
      phase: 'passed',
      effects: ['actuate:decision', 'vehicle:passed'],
    },
    {
      name: 'no loop, limits wired: the boom going up then down is the passage',
      start: noInputs,
      steps: [
        [0, decided('29C12345', 'open')],
        [1_500, { type: 'barrier', state: 'open' }],
        [1_600, { type: 'actuated', ok: true, detail: '', eventId: 'a1', at: 0 }],
        [9_000, { type: 'barrier', state: 'closed' }],
      ],
      phase: 'idle',
      effects: ['actuate:decision', 'vehicle:passed'],
    },
    {
      name: 'nothing wired: passed-unconfirmed after passTimeoutMs',
      start: noInputs,
      steps: [
        [0, decided('29C12345', 'open')],
        [10, { type: 'actuated', ok: true, detail: '', eventId: 'a1', at: 0 }],
        [20_009, { type: 'tick' }],
        [20_010, { type: 'tick' }],
      ],
      phase: 'idle',
      effects: ['actuate:decision', 'vehicle:passed-unconfirmed'],
    },
    {
      name: 'loop wired but the vehicle never drove on: not-passed',
      start: withLoop,
      steps: [
        [0, decided('29C12345', 'open')],
        [10, { type: 'actuated', ok: true, detail: '', eventId: 'a1', at: 0 }],
        [20_010, { type: 'tick' }],
      ],
      phase: 'idle',
      effects: ['actuate:decision', 'vehicle:not-passed'],
    },
    {
      name: 'watch-list vehicle: no actuation; it turns back, the loop clears',
      start: withLoop,
      steps: [
        [0, { type: 'loop', occupied: true }],
        [100, decided('云A54321', 'deny')],
        [5_000, { type: 'loop', occupied: false }],
      ],
      phase: 'idle',
      effects: ['vehicle:left'],
    },
    {
      name: 'denied without a loop: the visit ends by time',
      start: noInputs,
      steps: [
        [0, decided('云A54321', 'deny')],
        [20_000, { type: 'tick' }],
      ],
      phase: 'idle',
      effects: ['vehicle:left'],
    },
    {
      name: 'unknown plate held, the operator confirms: one open',
      start: withLoop,
      steps: [
        [0, { type: 'loop', occupied: true }],
        [100, decided('29C99999', 'hold', 'h1')],
        [30_000, { type: 'confirm', holdId: 'h1' }],
        [30_100, { type: 'actuated', ok: true, detail: '', eventId: 'a1', at: 0 }],
        [33_000, { type: 'loop', occupied: false }],
      ],
      phase: 'passed',
      effects: ['actuate:confirm', 'vehicle:passed'],
    },
    {
      name: 'held, the operator refuses: no open, the visit ends refused',
      start: withLoop,
      steps: [
        [0, decided('29C99999', 'hold', 'h1')],
        [5_000, { type: 'refuse', holdId: 'h1' }],
      ],
      phase: 'idle',
      effects: ['vehicle:refused'],
    },
    {
      name: 'a hold waiting too long alarms once',
      start: withLoop,
      steps: [
        [0, decided('29C99999', 'hold', 'h1')],
        [60_000, { type: 'tick' }],
        [120_000, { type: 'tick' }],
      ],
      phase: 'held',
      effects: ['alarm:vehicle-waiting'],
    },
    {
      name: 'on the loop with no read for waitAlarmMs: vehicle-waiting',
      start: withLoop,
      steps: [
        [0, { type: 'loop', occupied: true }],
        [59_999, { type: 'tick' }],
        [60_000, { type: 'tick' }],
      ],
      phase: 'present',
      effects: ['alarm:vehicle-waiting'],
    },
    {
      name: 'tailgating on the loop: a second vehicle drives on before the boom closes',
      start: withLoop,
      steps: [
        [0, { type: 'loop', occupied: true }],
        [100, decided('29C12345', 'open')],
        [1_600, { type: 'actuated', ok: true, detail: '', eventId: 'a1', at: 0 }],
        [4_000, { type: 'loop', occupied: false }],
        [4_500, { type: 'loop', occupied: true }],
      ],
      phase: 'present',
      effects: ['actuate:decision', 'vehicle:passed', 'alarm:tailgating'],
    },
    {
      name: 'tailgating by read: another plate while the boom is up is alarmed and held, never opened',
      start: withLoop,
      steps: [
        [0, decided('29C12345', 'open')],
        [1_600, { type: 'actuated', ok: true, detail: '', eventId: 'a1', at: 0 }],
        [2_000, decided('29C77777', 'hold', 'busy-1', 'lane-busy')],
      ],
      phase: 'open',
      effects: ['actuate:decision', 'alarm:tailgating'],
    },
    {
      name: 'barrier did not open: alarm and the vehicle is held for the operator',
      start: withLoop,
      steps: [
        [0, decided('29C12345', 'open')],
        [
          20_000,
          {
            type: 'actuated',
            ok: false,
            detail: 'no-open-limit: no open limit within 10000 ms, after one retry',
            eventId: 'fail-1',
            at: 0,
          },
        ],
      ],
      phase: 'held',
      effects: ['actuate:decision', 'alarm:barrier-not-opened'],
    },
    {
      name: 'manual open while idle opens once; a second one while opening is refused',
      start: withLoop,
      steps: [
        [0, { type: 'manual-open' }],
        [10, { type: 'manual-open' }],
      ],
      phase: 'opening',
      effects: ['actuate:manual-open'],
      refusals: ['busy'],
    },
    {
      name: 'confirming an unknown hold is refused and changes nothing',
      start: withLoop,
      steps: [[0, { type: 'confirm', holdId: 'nope' }]],
      phase: 'idle',
      effects: [],
      refusals: ['no-such-hold'],
    },
    {
      name: 'a hold behind the vehicle at the barrier cannot be confirmed, only refused; it moves up when the first ends',
      start: withLoop,
      steps: [
        [0, decided('29C99999', 'hold', 'h1')],
        [100, decided('29C88888', 'hold', 'h2')],
        [200, { type: 'confirm', holdId: 'h2' }],
        [300, { type: 'refuse', holdId: 'h1' }],
        [400, { type: 'confirm', holdId: 'h2' }],
      ],
      phase: 'opening',
      effects: ['vehicle:refused', 'actuate:confirm'],
      refusals: ['not-at-barrier'],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const { state, effects, refusals } = run(c.start(), c.steps);
      expect(state.phase).toBe(c.phase);
      expect(kinds(effects)).toEqual(c.effects);
      expect(refusals).toEqual(c.refusals ?? []);
    });
  }

  it('without limits, the boom counts as down boomCloseMs after the passage: a vehicle then is a new arrival, not tailgating', () => {
    const passed = run(withLoop(), [
      [0, decided('29C12345', 'open')],
      [10, { type: 'actuated', ok: true, detail: '', eventId: 'a1', at: 0 }],
      [100, { type: 'loop', occupied: true }],
      [2_000, { type: 'loop', occupied: false }],
    ]).state;
    expect(passed).toMatchObject({ phase: 'passed', barrier: 'unknown' });
    expect(nextDeadline(passed, SETTINGS)).toBe(7_000);
    expect(admit(passed, 'NEW1', 6_999, SETTINGS)).toEqual({ kind: 'new', busy: true, tailgating: true });
    const later = run(passed, [[7_000, { type: 'tick' }]]);
    expect(later.state.phase).toBe('idle');
    const next = run(later.state, [[7_500, { type: 'loop', occupied: true }]]);
    expect(next.state.phase).toBe('present');
    expect(kinds(next.effects)).toEqual([]);
    // With limits wired the closed limit decides, up to passTimeoutMs.
    expect(nextDeadline({ ...passed, barrier: 'open' }, SETTINGS)).toBe(22_000);
  });

  it('exactly one actuation per decision, however many status changes follow', () => {
    const { effects } = run(withLoop(), [
      [0, decided('29C12345', 'open')],
      [100, { type: 'barrier', state: 'opening' }],
      [200, { type: 'barrier', state: 'open' }],
      [300, { type: 'barrier', state: 'open' }],
      [400, { type: 'actuated', ok: true, detail: '', eventId: 'a1', at: 0 }],
      [500, { type: 'actuated', ok: true, detail: '', eventId: 'a1', at: 0 }],
    ]);
    expect(effects.filter((e) => e.kind === 'actuate')).toHaveLength(1);
  });

  it('the hold names the decision and keeps what the operator needs', () => {
    const { state } = run(withLoop(), [[0, decided('29C99999', 'hold', 'dec-7')]]);
    expect(state.holds).toEqual([
      {
        holdId: 'dec-7',
        plate: '29C99999',
        display: '29C99999',
        reason: 'unknown-plate',
        detail: '29C99999 unknown-plate',
        createdAt: 1_000,
      },
    ]);
  });

  it('the failed open becomes a hold whose id is the failed actuation event', () => {
    const { state } = run(withLoop(), [
      [0, decided('29C12345', 'open')],
      [100, { type: 'actuated', ok: false, detail: 'port-closed: port is not open', eventId: 'act-9', at: 5 }],
    ]);
    expect(state.holds[0]).toMatchObject({ holdId: 'act-9', plate: '29C12345', reason: 'barrier-not-opened' });
  });

  describe('admit', () => {
    it('a read of the vehicle in hand, of its paired plate, or of a pending hold is a duplicate', () => {
      let { state } = run(withLoop(), [[0, decided('29C12345', 'open')]]);
      state = { ...state, vehicle: { ...state.vehicle!, pairedPlate: '云A12345' } };
      expect(admit(state, '29C12345', 10, SETTINGS)).toEqual({ kind: 'duplicate' });
      expect(admit(state, '云A12345', 10, SETTINGS)).toEqual({ kind: 'duplicate' });
      const held = run(withLoop(), [[0, decided('29C99999', 'hold', 'h1')]]).state;
      expect(admit(held, '29C99999', 10, SETTINGS)).toEqual({ kind: 'duplicate' });
    });

    it('the plate just handled is a duplicate for cooldownMs, then a new vehicle', () => {
      const { state } = run(withLoop(), [
        [0, decided('29C12345', 'open')],
        [10, { type: 'actuated', ok: true, detail: '', eventId: 'a', at: 0 }],
        [20, { type: 'loop', occupied: true }],
        [1_000, { type: 'loop', occupied: false }],
        [2_000, { type: 'barrier', state: 'closed' }],
      ]);
      expect(state.phase).toBe('idle');
      expect(admit(state, '29C12345', 10_999, SETTINGS)).toEqual({ kind: 'duplicate' });
      expect(admit(state, '29C12345', 11_000, SETTINGS)).toEqual({ kind: 'new', busy: false, tailgating: false });
    });

    const table: [string, () => LaneMachineState, { busy: boolean; tailgating: boolean }][] = [
      ['idle', withLoop, { busy: false, tailgating: false }],
      [
        'present (the read is the vehicle on the loop)',
        () => run(withLoop(), [[0, { type: 'loop', occupied: true }]]).state,
        { busy: false, tailgating: false },
      ],
      ['held', () => run(withLoop(), [[0, decided('A', 'hold')]]).state, { busy: true, tailgating: false }],
      ['denied', () => run(withLoop(), [[0, decided('A', 'deny')]]).state, { busy: true, tailgating: false }],
      ['opening', () => run(withLoop(), [[0, decided('A', 'open')]]).state, { busy: true, tailgating: true }],
      [
        'passed, boom closed',
        () => ({
          ...run(withLoop(), [[0, decided('A', 'open')]]).state,
          phase: 'passed' as const,
          barrier: 'closed' as const,
        }),
        { busy: false, tailgating: false },
      ],
    ];
    for (const [name, state, expected] of table) {
      it(`a new plate while ${name}`, () =>
        expect(admit(state(), 'NEW1', 0, SETTINGS)).toEqual({ kind: 'new', ...expected }));
    }
  });

  describe('nextDeadline', () => {
    it('times the wait alarm, the opening deadline, the passage timeout, and nothing while idle', () => {
      expect(nextDeadline(withLoop(), SETTINGS)).toBeNull();
      expect(nextDeadline(run(withLoop(), [[5, { type: 'loop', occupied: true }]]).state, SETTINGS)).toBe(60_005);
      expect(nextDeadline(run(withLoop(), [[5, decided('A', 'open')]]).state, SETTINGS)).toBe(30_005);
      const open = run(withLoop(), [
        [5, decided('A', 'open')],
        [7, { type: 'actuated', ok: true, detail: '', eventId: 'a', at: 0 }],
      ]).state;
      expect(nextDeadline(open, SETTINGS)).toBe(20_007);
      const alarmed = run(withLoop(), [
        [0, decided('A', 'hold')],
        [60_000, { type: 'tick' }],
      ]).state;
      expect(nextDeadline(alarmed, SETTINGS)).toBeNull();
    });
  });
});

describe('the opening deadline: an answer that never comes', () => {
  const opening = () => run(withLoop(), [[0, decided('29C12345', 'open')]]).state;
  const table: [string, number, string[]][] = [
    ['before openingTimeoutMs: still waiting', 29_999, []],
    ['at openingTimeoutMs: the open is given up', 30_000, ['abandon-actuation']],
    ['long after: given up (again, if nobody answered)', 90_000, ['abandon-actuation']],
  ];
  it.each(table)('tick %s', (_name, t, effects) => {
    const { state, effects: got } = run(opening(), [[t, { type: 'tick' }]]);
    expect(kinds(got)).toEqual(effects);
    expect(state.phase).toBe('opening'); // the controller records the failure and feeds it back as `actuated`
  });

  it('the effect names the deadline; the failure fed back holds the vehicle with an alarm, and a manual open is no longer busy', () => {
    const { effects } = run(opening(), [[30_000, { type: 'tick' }]]);
    expect(effects).toEqual([{ kind: 'abandon-actuation', detail: 'no answer from the barrier within 30000 ms' }]);
    const held = run(opening(), [
      [
        30_000,
        {
          type: 'actuated',
          ok: false,
          detail: 'no-answer: no answer from the barrier within 30000 ms',
          eventId: 'r1',
          at: 5,
        },
      ],
    ]);
    expect(held.state).toMatchObject({
      phase: 'held',
      holds: [{ holdId: 'r1', plate: '29C12345', reason: 'barrier-not-opened' }],
    });
    expect(kinds(held.effects)).toEqual(['alarm:barrier-not-opened']);
    expect(run(held.state, [[30_100, { type: 'manual-open' }]]).refusals).toEqual([]);
  });
});

describe('restoredLaneState: the lane after a restart with pending holds', () => {
  const hold = (holdId: string) => ({
    holdId,
    plate: `29C${holdId}`,
    display: `29C-${holdId}`,
    reason: 'unknown-plate',
    detail: '',
    createdAt: 0,
  });

  it.each([true, false])('no holds: the fresh lane (loop wired: %s)', (wired) => {
    expect(restoredLaneState(5, wired, [])).toEqual(initialLaneState(5, wired));
  });

  it.each([
    [true, true],
    [false, null],
  ])('holds: the oldest held at the barrier (loop wired: %s → loop %s until the loop reports)', (wired, loop) => {
    const state = restoredLaneState(5, wired, [hold('11111'), hold('22222')]);
    expect(state).toMatchObject({
      phase: 'held',
      since: 5,
      loop,
      vehicle: { plate: '29C11111', display: '29C-11111', decisionId: '11111' },
    });
    expect(state.holds.map((h) => h.holdId)).toEqual(['11111', '22222']);
  });

  it("with a loop: the loop's first report of empty ends the held visit as left, and the next comes up", () => {
    const { state, effects } = run(restoredLaneState(0, true, [hold('11111'), hold('22222')]), [
      [10, { type: 'loop', occupied: false }],
    ]);
    expect(effects).toEqual([
      { kind: 'vehicle', outcome: 'left', plate: '29C11111', decisionId: '11111', holdId: '11111', durationMs: 10 },
    ]);
    expect(state).toMatchObject({ phase: 'held', holds: [{ holdId: '22222' }] });
  });
});
