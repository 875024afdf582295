import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FakeClock } from '../../src/core/fake-clock.js';
import { CommandRouter, defineCommand, type CommandContext } from '../../src/uplink/command-router.js';
import { COMMAND_MAX_BYTES } from '../../src/uplink/commands-contract.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

const MAX_AGE = 300_000;
const MAX_FUTURE = 60_000;

describe('CommandRouter', () => {
  const temp = useTempDirs();

  function setUp() {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const store = temp.open(temp.make(), {}, clock);
    const calls: { args: { times: number }; ctx: CommandContext }[] = [];
    const router = new CommandRouter(
      { clock },
      {
        seen: store.commandIds,
        laneIds: ['entry-1', 'exit-1'],
        maxAgeMs: MAX_AGE,
        maxFutureMs: MAX_FUTURE,
        commands: {
          repeat: defineCommand({
            summary: 'test command',
            args: z.strictObject({ times: z.number().int().min(1).default(1) }),
            run: (args, ctx) => {
              calls.push({ args, ctx });
              return { done: args.times };
            },
          }),
          broken: defineCommand({
            summary: 'throws',
            args: z.strictObject({}),
            run: () => {
              throw new Error('relay not answering');
            },
          }),
        },
      },
    );
    let n = 0;
    const command = (fields: Record<string, unknown> = {}) => Buffer.from(JSON.stringify({ id: `c-${++n}`, ts: clock.now(), ...fields }));
    return { clock, store, router, calls, command };
  }

  it('runs a known command with its parsed args and replies ok with its data', () => {
    const { router, calls, command } = setUp();
    const outcome = router.handle('repeat', command({ args: { times: 3 }, laneId: 'exit-1' }));
    expect(outcome.reply).toEqual({ status: 'ok', id: 'c-1', data: { done: 3 } });
    expect(outcome.event).toEqual({ type: 'command', laneId: 'exit-1', payload: { name: 'repeat', id: 'c-1', status: 'ok', reason: null } });
    expect(calls).toEqual([{ args: { times: 3 }, ctx: { id: 'c-1', laneId: 'exit-1' } }]);
  });

  it('records site-level commands on the lane "gate"', () => {
    const { router, command } = setUp();
    expect(router.handle('repeat', command()).event.laneId).toBe('gate');
  });

  it.each([
    ['unknown command', 'open-sesame', {}, 'unknown-command', 'no command "open-sesame"; known: repeat, broken'],
    ['a name inherited from Object', 'toString', {}, 'unknown-command', 'no command "toString"'],
    ['an unknown lane', 'repeat', { laneId: 'entry-9' }, 'unknown-lane', 'laneId: no lane "entry-9" at this gate; lanes: entry-1, exit-1'],
    ['bad args', 'repeat', { args: { times: 'often' } }, 'invalid', 'args: times: '],
    ['an unknown arg', 'repeat', { args: { tmes: 2 } }, 'invalid', 'args: (payload): Unrecognized key: "tmes"'],
    ['a wrong type', 'repeat', { ts: 'now' }, 'invalid', 'ts: '],
    ['a passed expiresAt', 'repeat', { expiresAt: Date.UTC(2026, 0, 1) }, 'expired', 'expiresAt: 2026-01-01T00:00:00.000Z has passed'],
    ['a ts older than maxAgeMs', 'repeat', { ts: Date.UTC(2026, 0, 1) - MAX_AGE - 1 }, 'expired', `ts: command is ${MAX_AGE + 1} ms old, more than the ${MAX_AGE} ms allowed`],
    ['a ts too far ahead', 'repeat', { ts: Date.UTC(2026, 0, 1) + MAX_FUTURE + 1 }, 'too-early', `ts: command is ${MAX_FUTURE + 1} ms ahead`],
    ['a handler that throws', 'broken', {}, 'failed', 'broken failed: relay not answering'],
  ])('refuses %s, with the code and a message naming the field', (_what, name, fields, code, message) => {
    const { router, calls, command } = setUp();
    const outcome = router.handle(name, command(fields));
    expect(outcome.reply).toMatchObject({ status: 'error', id: 'c-1', error: { code, message: expect.stringContaining(message) } });
    expect(outcome.event).toMatchObject({ type: 'command', laneId: 'gate', payload: { name, id: 'c-1', status: 'error', reason: code } });
    expect(calls).toEqual([]);
  });

  it('accepts a ts at the edges of the window (clock skew tolerance)', () => {
    const { router, command, clock } = setUp();
    expect(router.handle('repeat', command({ ts: clock.now() - MAX_AGE })).reply.status).toBe('ok');
    expect(router.handle('repeat', command({ ts: new Date(clock.now() + MAX_FUTURE).toISOString() })).reply.status).toBe('ok');
  });

  it.each([
    ['bad JSON', Buffer.from('{"id": "c-1", '), 'bad-json', 'payload is not JSON'],
    ['not an object', Buffer.from('[1,2]'), 'invalid', '(payload): '],
    ['a payload over the limit', Buffer.alloc(COMMAND_MAX_BYTES + 1, 0x20), 'too-large', `payload is ${COMMAND_MAX_BYTES + 1} bytes, more than the ${COMMAND_MAX_BYTES}`],
  ])('refuses %s before looking further', (_what, payload, code, message) => {
    const { router, calls } = setUp();
    const outcome = router.handle('repeat', payload);
    expect(outcome.reply).toEqual({ status: 'error', error: { code, message: expect.stringContaining(message) } });
    expect(outcome.event.payload).toMatchObject({ id: null, reason: code });
    expect(calls).toEqual([]);
  });

  it('names the id of an invalid command when it has a readable one', () => {
    const { router } = setUp();
    expect(router.handle('repeat', Buffer.from('{"id":"c-9","ts":"never"}')).reply).toMatchObject({ id: 'c-9', error: { code: 'invalid' } });
  });

  it('runs an id once: a replay is refused, also after a reopen of the store', () => {
    const { router, calls, clock, store } = setUp();
    const payload = Buffer.from(JSON.stringify({ id: 'once', ts: clock.now() }));
    expect(router.handle('repeat', payload).reply.status).toBe('ok');
    expect(router.handle('repeat', payload).reply).toMatchObject({ error: { code: 'replayed', message: 'id: command "once" was received before' } });
    expect(calls).toHaveLength(1);
    // A command refused for another reason is not remembered: corrected, it may be sent again.
    const badArgs = Buffer.from(JSON.stringify({ id: 'fixable', ts: clock.now(), args: { times: 0 } }));
    expect(router.handle('repeat', badArgs).reply).toMatchObject({ error: { code: 'invalid' } });
    expect(router.handle('repeat', Buffer.from(JSON.stringify({ id: 'fixable', ts: clock.now() }))).reply.status).toBe('ok');
    expect(store.commandIds.remember('once', clock.now())).toBe(false);
  });

  it('prunes remembered ids once they are too old to pass the timing checks anyway', () => {
    const { router, clock, store, command } = setUp();
    router.handle('repeat', command());
    expect(store.commandIds.size()).toBe(1);
    clock.advance(MAX_AGE + MAX_FUTURE);
    router.handle('repeat', command());
    expect(store.commandIds.size()).toBe(2); // the first is exactly at the limit: kept
    clock.advance(1);
    router.handle('repeat', command());
    // Pruned at most once a minute, so not yet...
    expect(store.commandIds.size()).toBe(3);
    clock.advance(60_000);
    router.handle('repeat', command());
    // ...and now the first is gone (older than maxAge + maxFuture); the others are kept.
    expect(store.commandIds.size()).toBe(3);
    expect(store.commandIds.remember('c-1', clock.now())).toBe(true);
    expect(store.commandIds.remember('c-2', clock.now())).toBe(false);
  });
});
