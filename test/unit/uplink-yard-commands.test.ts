import { describe, expect, it } from 'vitest';
import { mqttSchema } from '../../src/config/mqtt.js';
import { yardSchema } from '../../src/config/yards.js';
import { EventBus } from '../../src/core/bus.js';
import { silentLogger } from '../../src/core/log.js';
import type { EventType } from '../../src/domain/events.js';
import type { GateEvents } from '../../src/gate/build-gate.js';
import type { SignatureVerdict } from '../../src/uplink/central-signature.js';
import { centralHandlers } from '../../src/uplink/central-handlers.js';
import { yardStateSchema } from '../../src/uplink/contract.js';
import type { Reply } from '../../src/uplink/commands-contract.js';
import type { YardState } from '../../src/yard/yard-state.js';
import { YardService } from '../../src/yard/yard-service.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

const SIGNED: SignatureVerdict = { signed: true, kid: 'central-1' };
const UNSIGNED: SignatureVerdict = { signed: false, refusal: { code: 'unsigned', message: 'no "sig" user property' } };
const WHO = { operator: 'op-17', reason: 'seen leaving on the camera' };
const commandsConfig = mqttSchema.parse({ url: 'mqtt://127.0.0.1:1', central: { keys: [] } })!.commands;

describe("central's yard commands, on a real YardService and store", () => {
  const temp = useTempDirs();

  async function setUp(opts: { yards?: boolean } = {}) {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 8));
    const store = temp.open(temp.make(), {}, clock);
    const yards =
      opts.yards === false
        ? null
        : new YardService(
            { bus: new EventBus<GateEvents>(silentLogger), log: silentLogger, clock },
            { sink: store.events, records: store.yards, lanes: () => [] },
            [
              yardSchema.parse({
                id: 'kth-yard',
                capacity: 3,
                classes: [{ id: 'truck', capacity: 2 }],
                entryLanes: ['entry-1'],
                exitLanes: ['exit-1'],
              }),
            ],
          );
    await yards?.start();
    const { commands } = centralHandlers({
      clock,
      bootId: store.bootId,
      laneIds: ['entry-1', 'exit-1'],
      config: commandsConfig,
      store,
      yards,
    });
    let n = 0;
    const send = (name: string, args: Record<string, unknown>, verdict = SIGNED): Reply =>
      commands.handle(name, Buffer.from(JSON.stringify({ id: `c-${++n}`, ts: clock.now(), args })), () => verdict)
        .reply;
    const state = (): YardState => yards!.state('kth-yard')!;
    const events = (type: EventType) =>
      store.events
        .query({ type })
        .events.map((e) => e.payload)
        .reverse();
    return { clock, store, yards, send, state, events };
  }

  const refusal = (reply: Reply) => (reply.status === 'error' ? reply.error : null);
  const dataOf = (reply: Reply): Record<string, unknown> => {
    if (reply.status !== 'ok') throw new Error(`refused: ${reply.error.message}`);
    return reply.data ?? {};
  };

  describe('yard.status', () => {
    it("answers every yard's state, or one yard's, in the wire shape", async () => {
      const { send } = await setUp();
      const all = send('yard.status', {});
      expect(all).toMatchObject({ status: 'ok', data: { yards: [{ yardId: 'kth-yard', occupancy: 0, capacity: 3 }] } });
      const [first] = dataOf(all).yards as unknown[];
      expect(yardStateSchema.safeParse(first).success).toBe(true);
      expect(send('yard.status', { yardId: 'kth-yard' })).toMatchObject({ data: { yards: [{ yardId: 'kth-yard' }] } });
    });

    it('refuses an unknown yard, naming yardId and the yards there are', async () => {
      const { send } = await setUp();
      expect(refusal(send('yard.status', { yardId: 'bus-yard' }))).toEqual({
        code: 'invalid',
        message: 'yardId: no yard "bus-yard" (yards: kth-yard)',
      });
      expect(refusal(send('yard.status', { yardId: 'Bus Yard' }))?.message).toMatch(
        /^args: yardId: expected a yard id/,
      );
    });

    it('is read-only: refused unsigned unless the site accepts unsigned read-only commands', async () => {
      const { send } = await setUp();
      expect(refusal(send('yard.status', {}, UNSIGNED))?.code).toBe('unsigned');
    });
  });

  describe('yard.call', () => {
    it('calls a vehicle forward (a yard.call event, the call in the state) and withdraws the call with cancel', async () => {
      const { send, state, events, clock } = await setUp();
      const called = send('yard.call', { yardId: 'kth-yard', plate: '29C12345', ...WHO });
      expect(called).toMatchObject({
        status: 'ok',
        data: { eventId: expect.any(String), expiresAt: clock.now() + 30 * 60_000 },
      });
      const callId = dataOf(called).eventId;
      expect(state().calls).toEqual([
        { callId, plate: '29C12345', calledAt: clock.now(), expiresAt: clock.now() + 30 * 60_000, calledBy: 'op-17' },
      ]);
      expect(events('yard.call')).toEqual([
        expect.objectContaining({
          action: 'called',
          plate: '29C12345',
          operator: 'op-17',
          reason: WHO.reason,
          source: 'central',
          commandId: 'c-1',
        }),
      ]);

      expect(send('yard.call', { yardId: 'kth-yard', plate: '29C12345', cancel: true, ...WHO })).toMatchObject({
        status: 'ok',
      });
      expect(state().calls).toEqual([]);
      expect(events('yard.call').map((p) => p.action)).toEqual(['called', 'cancelled']);
    });

    it("refuses what the yard's state does not allow as a conflict: a second call, a cancel without a call", async () => {
      const { send } = await setUp();
      send('yard.call', { yardId: 'kth-yard', plate: '29C12345', ...WHO });
      expect(refusal(send('yard.call', { yardId: 'kth-yard', plate: '29C12345', ...WHO }))).toMatchObject({
        code: 'conflict',
        message: expect.stringContaining('29C12345 was already called forward'),
      });
      expect(refusal(send('yard.call', { yardId: 'kth-yard', plate: '51F99999', cancel: true, ...WHO }))).toEqual({
        code: 'conflict',
        message: '51F99999 has no call forward in kth-yard',
      });
    });

    it.each([
      ['a plate not in canonical form', { plate: '29C-123.45' }, 'args: plate: expected canonical plate text'],
      ['no plate', { plate: undefined }, 'args: plate: '],
      ['no operator', { operator: undefined }, 'args: operator: '],
      ['a reason too short', { reason: 'ok' }, 'args: reason: '],
      ['cancel not a boolean', { cancel: 'yes' }, 'args: cancel: '],
      ['an unknown argument', { urgent: true }, 'args: (payload): Unrecognized key: "urgent"'],
      ['an unknown yard', { yardId: 'bus-yard' }, 'yardId: no yard "bus-yard" (yards: kth-yard)'],
    ])('refuses %s, naming the field, and records nothing', async (_what, over, message) => {
      const { send, events } = await setUp();
      const args = { yardId: 'kth-yard', plate: '29C12345', ...WHO, ...over };
      expect(refusal(send('yard.call', args))).toMatchObject({
        code: 'invalid',
        message: expect.stringContaining(message),
      });
      expect(events('yard.call')).toEqual([]);
    });

    it('changes something, so it is never run unsigned', async () => {
      const { send, state } = await setUp();
      expect(refusal(send('yard.call', { yardId: 'kth-yard', plate: '29C12345', ...WHO }, UNSIGNED))?.code).toBe(
        'unsigned',
      );
      expect(state().calls).toEqual([]);
    });

    it('fails whole when the store cannot record it: nothing called', async () => {
      const { send, state, events, store } = await setUp();
      store.db.exec("CREATE TRIGGER full BEFORE INSERT ON yard_calls BEGIN SELECT RAISE(ABORT, 'disk full'); END");
      expect(refusal(send('yard.call', { yardId: 'kth-yard', plate: '29C12345', ...WHO }))).toMatchObject({
        code: 'failed',
        message: expect.stringContaining('the event store could not record it, so nothing was done: disk full'),
      });
      expect(state().calls).toEqual([]);
      expect(events('yard.call')).toEqual([]);
    });
  });

  describe('yard.correct', () => {
    it('adds a vehicle that came in unseen, with its class and entry time, and marks it left by plate', async () => {
      const { send, state, events, clock } = await setUp();
      const enteredAt = '2026-01-01T14:30:00+07:00'; // an hour before the gate's clock
      const added = send('yard.correct', {
        yardId: 'kth-yard',
        action: 'add',
        plate: '29C12345',
        vehicleClass: 'truck',
        enteredAt,
        ...WHO,
      });
      expect(added).toMatchObject({ status: 'ok', data: { eventId: expect.any(String) } });
      expect(state()).toMatchObject({
        occupancy: 1,
        classes: [{ id: 'truck', occupancy: 1 }],
        vehicles: [
          {
            plate: '29C12345',
            vehicleClass: 'truck',
            enteredAt: Date.parse(enteredAt),
            dwellMs: clock.now() - Date.parse(enteredAt),
            entryLaneId: 'gate',
          },
        ],
      });
      expect(events('operator.action')).toEqual([
        expect.objectContaining({ action: 'yard.add', yardId: 'kth-yard', plate: '29C12345', source: 'central' }),
      ]);
      expect(events('yard.entered')).toEqual([expect.objectContaining({ plate: '29C12345', how: 'correction' })]);

      const left = send('yard.correct', { yardId: 'kth-yard', action: 'mark-left', plate: '29C12345', ...WHO });
      expect(left).toMatchObject({ status: 'ok' });
      expect(state().occupancy).toBe(0);
      expect(events('yard.left')).toEqual([expect.objectContaining({ plate: '29C12345', how: 'correction' })]);
    });

    it('marks a vehicle left by its visit id', async () => {
      const { send, state } = await setUp();
      send('yard.correct', { yardId: 'kth-yard', action: 'add', plate: '29C12345', ...WHO });
      const visitId = state().vehicles[0]!.visitId;
      expect(send('yard.correct', { yardId: 'kth-yard', action: 'mark-left', visitId, ...WHO })).toMatchObject({
        status: 'ok',
      });
      expect(state().vehicles).toEqual([]);
    });

    it("refuses what the yard's state does not allow as a conflict: a vehicle already inside, one not inside", async () => {
      const { send, state } = await setUp();
      send('yard.correct', { yardId: 'kth-yard', action: 'add', plate: '29C12345', ...WHO });
      expect(
        refusal(send('yard.correct', { yardId: 'kth-yard', action: 'add', plate: '29C12345', ...WHO })),
      ).toMatchObject({ code: 'conflict', message: expect.stringContaining('29C12345 is inside kth-yard already') });
      expect(
        refusal(send('yard.correct', { yardId: 'kth-yard', action: 'mark-left', plate: '51F99999', ...WHO })),
      ).toEqual({ code: 'conflict', message: 'no vehicle 51F99999 inside kth-yard' });
      expect(state().occupancy).toBe(1);
    });

    it.each([
      ['an unknown action', { action: 'move' }, 'args: action: '],
      ['mark-left without visitId or plate', { plate: undefined }, 'args: visitId: mark-left needs visitId or plate'],
      [
        'mark-left with both',
        { visitId: '01JDX3W6Q2M1T1C9K1R5Z6A7B8' },
        'args: plate: mark-left takes visitId or plate',
      ],
      ['mark-left with a class', { vehicleClass: 'truck' }, 'args: vehicleClass: only for add'],
      ['add without a plate', { action: 'add', plate: undefined }, 'args: plate: required for add'],
      ['add with a visit id', { action: 'add', visitId: 'v' }, 'args: visitId: only for mark-left'],
      ['an entry time that is no time', { action: 'add', enteredAt: 'yesterday' }, 'args: enteredAt: '],
      ['an entry time in the future', { action: 'add', enteredAt: Date.UTC(2026, 0, 2) }, 'enteredAt: must not be'],
      ['a class the yard has not', { action: 'add', vehicleClass: 'bus' }, 'vehicleClass: kth-yard has no class "bus"'],
      ['no reason', { reason: undefined }, 'args: reason: '],
      ['an unknown yard', { yardId: 'bus-yard' }, 'yardId: no yard "bus-yard"'],
    ])('refuses %s as invalid, naming the field, and changes nothing', async (_what, over, message) => {
      const { send, state, events } = await setUp();
      const args = { yardId: 'kth-yard', action: 'mark-left', plate: '29C12345', ...WHO, ...over };
      expect(refusal(send('yard.correct', args))).toMatchObject({
        code: 'invalid',
        message: expect.stringContaining(message),
      });
      expect(state().occupancy).toBe(0);
      expect(events('operator.action')).toEqual([]);
    });

    it('changes something, so it is never run unsigned', async () => {
      const { send, state } = await setUp();
      const args = { yardId: 'kth-yard', action: 'add', plate: '29C12345', ...WHO };
      expect(refusal(send('yard.correct', args, UNSIGNED))?.code).toBe('unsigned');
      expect(state().occupancy).toBe(0);
    });
  });

  it('on a gate without yards: an empty status, and every change refused naming the yard', async () => {
    const { send } = await setUp({ yards: false });
    expect(send('yard.status', {})).toMatchObject({ status: 'ok', data: { yards: [] } });
    expect(refusal(send('yard.status', { yardId: 'kth-yard' }))).toEqual({
      code: 'invalid',
      message: 'yardId: no yard "kth-yard" (yards: none)',
    });
    expect(refusal(send('yard.call', { yardId: 'kth-yard', plate: '29C12345', ...WHO }))).toEqual({
      code: 'invalid',
      message: 'yardId: no yard "kth-yard" (this gate has no yards)',
    });
  });
});
