import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FakeClock } from '../helpers/fake-clock.js';
import type { SignatureCheck } from '../../src/uplink/central-inbox.js';
import type { SignatureVerdict } from '../../src/uplink/central-signature.js';
import { CommandRouter, defineCommand, type CommandContext } from '../../src/uplink/command-router.js';
import { COMMAND_MAX_BYTES } from '../../src/uplink/commands-contract.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

const MAX_AGE = 300_000;
const MAX_FUTURE = 60_000;
const ACTUATING_MAX_AGE = 15_000;
const SIGNED: SignatureVerdict = { signed: true, kid: 'central-1' };
const UNSIGNED: SignatureVerdict = { signed: false, refusal: { code: 'unsigned', message: 'no "sig" user property' } };
const BAD: SignatureVerdict = { signed: false, refusal: { code: 'bad-signature', message: 'sig: does not verify' } };
const NO_KEY: SignatureVerdict = {
  signed: false,
  refusal: { code: 'no-central-key', message: 'the gate has no public key of central' },
};

describe('CommandRouter', () => {
  const temp = useTempDirs();

  function setUp(opts: { acceptUnsignedReadOnly?: boolean } = {}) {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const store = temp.open(temp.make(), {}, clock);
    const calls: { args: { times: number }; ctx: CommandContext }[] = [];
    const opened: string[] = [];
    const real = new CommandRouter(
      { clock },
      {
        seen: store.commandIds,
        laneIds: ['entry-1', 'exit-1'],
        maxAgeMs: MAX_AGE,
        maxFutureMs: MAX_FUTURE,
        actuatingMaxAgeMs: ACTUATING_MAX_AGE,
        acceptUnsignedReadOnly: opts.acceptUnsignedReadOnly ?? false,
        commands: {
          look: defineCommand({
            summary: 'read-only',
            access: 'read',
            args: z.strictObject({}),
            run: () => ({ seen: true }),
          }),
          open: defineCommand({
            summary: 'opens',
            access: 'actuate',
            args: z.strictObject({}),
            run: (_args, ctx) => {
              opened.push(ctx.id);
              return {};
            },
          }),
          repeat: defineCommand({
            summary: 'test command',
            access: 'write',
            args: z.strictObject({ times: z.number().int().min(1).default(1) }),
            run: (args, ctx) => {
              calls.push({ args, ctx });
              return { done: args.times };
            },
          }),
          broken: defineCommand({
            summary: 'throws',
            access: 'write',
            args: z.strictObject({}),
            run: () => {
              throw new Error('relay not answering');
            },
          }),
        },
      },
    );
    // Signed by central, unless a test says otherwise.
    const router = {
      handle: (name: string, payload: Buffer, signature: SignatureCheck = () => SIGNED) =>
        real.handle(name, payload, signature),
      names: real.names,
    };
    let n = 0;
    const command = (fields: Record<string, unknown> = {}) =>
      Buffer.from(JSON.stringify({ id: `c-${++n}`, ts: clock.now(), ...fields }));
    return { clock, store, router, calls, opened, command };
  }

  it('runs a known command with its parsed args and replies ok with its data', () => {
    const { router, calls, command } = setUp();
    const outcome = router.handle('repeat', command({ args: { times: 3 }, laneId: 'exit-1' }));
    expect(outcome.reply).toEqual({ status: 'ok', id: 'c-1', data: { done: 3 } });
    expect(outcome.event).toEqual({
      type: 'command',
      laneId: 'exit-1',
      payload: { name: 'repeat', id: 'c-1', status: 'ok', reason: null, kid: 'central-1' },
    });
    expect(calls).toEqual([{ args: { times: 3 }, ctx: { id: 'c-1', laneId: 'exit-1' } }]);
  });

  it('records site-level commands on the lane "gate"', () => {
    const { router, command } = setUp();
    expect(router.handle('repeat', command()).event.laneId).toBe('gate');
  });

  it.each([
    [
      'unknown command',
      'open-sesame',
      {},
      'unknown-command',
      'no command "open-sesame"; known: look, open, repeat, broken',
    ],
    ['a name inherited from Object', 'toString', {}, 'unknown-command', 'no command "toString"'],
    [
      'an unknown lane',
      'repeat',
      { laneId: 'entry-9' },
      'unknown-lane',
      'laneId: no lane "entry-9" at this gate; lanes: entry-1, exit-1',
    ],
    ['bad args', 'repeat', { args: { times: 'often' } }, 'invalid', 'args: times: '],
    ['an unknown arg', 'repeat', { args: { tmes: 2 } }, 'invalid', 'args: (payload): Unrecognized key: "tmes"'],
    ['a wrong type', 'repeat', { ts: 'now' }, 'invalid', 'ts: '],
    [
      'a passed expiresAt',
      'repeat',
      { expiresAt: Date.UTC(2026, 0, 1) },
      'expired',
      'expiresAt: 2026-01-01T00:00:00.000Z has passed',
    ],
    [
      'a ts older than maxAgeMs',
      'repeat',
      { ts: Date.UTC(2026, 0, 1) - MAX_AGE - 1 },
      'expired',
      `ts: command is ${MAX_AGE + 1} ms old, more than the ${MAX_AGE} ms allowed`,
    ],
    [
      'a ts too far ahead',
      'repeat',
      { ts: Date.UTC(2026, 0, 1) + MAX_FUTURE + 1 },
      'too-early',
      `ts: command is ${MAX_FUTURE + 1} ms ahead`,
    ],
    ['a handler that throws', 'broken', {}, 'failed', 'broken failed: relay not answering'],
  ])('refuses %s, with the code and a message naming the field', (_what, name, fields, code, message) => {
    const { router, calls, command } = setUp();
    const outcome = router.handle(name, command(fields));
    expect(outcome.reply).toMatchObject({
      status: 'error',
      id: 'c-1',
      error: { code, message: expect.stringContaining(message) },
    });
    expect(outcome.event).toMatchObject({
      type: 'command',
      laneId: 'gate',
      payload: { name, id: 'c-1', status: 'error', reason: code },
    });
    expect(calls).toEqual([]);
  });

  it('accepts a ts at the edges of the window (clock skew tolerance)', () => {
    const { router, command, clock } = setUp();
    expect(router.handle('repeat', command({ ts: clock.now() - MAX_AGE })).reply.status).toBe('ok');
    expect(
      router.handle('repeat', command({ ts: new Date(clock.now() + MAX_FUTURE).toISOString() })).reply.status,
    ).toBe('ok');
  });

  it.each([
    ['bad JSON', Buffer.from('{"id": "c-1", '), 'bad-json', 'payload is not JSON'],
    ['not an object', Buffer.from('[1,2]'), 'invalid', '(payload): '],
    [
      'a payload over the limit',
      Buffer.alloc(COMMAND_MAX_BYTES + 1, 0x20),
      'too-large',
      `payload is ${COMMAND_MAX_BYTES + 1} bytes, more than the ${COMMAND_MAX_BYTES}`,
    ],
  ])('refuses %s before looking further', (_what, payload, code, message) => {
    const { router, calls } = setUp();
    const outcome = router.handle('repeat', payload);
    expect(outcome.reply).toEqual({ status: 'error', error: { code, message: expect.stringContaining(message) } });
    expect(outcome.event.payload).toMatchObject({ id: null, reason: code });
    expect(calls).toEqual([]);
  });

  it('names the id of an invalid command when it has a readable one', () => {
    const { router } = setUp();
    expect(router.handle('repeat', Buffer.from('{"id":"c-9","ts":"never"}')).reply).toMatchObject({
      id: 'c-9',
      error: { code: 'invalid' },
    });
  });

  it('runs an id once: a replay is refused, also after a reopen of the store', () => {
    const { router, calls, clock, store } = setUp();
    const payload = Buffer.from(JSON.stringify({ id: 'once', ts: clock.now() }));
    expect(router.handle('repeat', payload).reply.status).toBe('ok');
    expect(router.handle('repeat', payload).reply).toMatchObject({
      error: { code: 'replayed', message: 'id: command "once" was received before' },
    });
    expect(calls).toHaveLength(1);
    // A command refused for another reason is not remembered: corrected, it may be sent again.
    const badArgs = Buffer.from(JSON.stringify({ id: 'fixable', ts: clock.now(), args: { times: 0 } }));
    expect(router.handle('repeat', badArgs).reply).toMatchObject({ error: { code: 'invalid' } });
    expect(router.handle('repeat', Buffer.from(JSON.stringify({ id: 'fixable', ts: clock.now() }))).reply.status).toBe(
      'ok',
    );
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

  describe('signatures', () => {
    it.each([
      ['an unsigned', UNSIGNED],
      ['a badly signed', BAD],
      ['(without a key of central) a', NO_KEY],
    ])('refuses %s command of any kind, before parsing it, and records the refusal', (_what, verdict) => {
      const { router, calls, opened, command } = setUp();
      for (const name of ['open', 'repeat', 'look', 'no-such-command']) {
        const outcome = router.handle(name, command(), () => verdict);
        expect(outcome.reply).toEqual({ status: 'error', error: (verdict as { refusal: unknown }).refusal });
        expect(outcome.event).toMatchObject({
          type: 'command',
          laneId: 'gate',
          payload: {
            name,
            id: null,
            status: 'error',
            reason: (verdict as { refusal: { code: string } }).refusal.code,
            kid: null,
          },
        });
      }
      // Not even malformed JSON gets further than the signature.
      expect(router.handle('open', Buffer.from('{{'), () => verdict).reply).toMatchObject({
        error: { code: (verdict as { refusal: { code: string } }).refusal.code },
      });
      expect(calls).toEqual([]);
      expect(opened).toEqual([]);
    });

    it('checks the size before the signature', () => {
      const { router } = setUp();
      let checked = 0;
      const outcome = router.handle('open', Buffer.alloc(COMMAND_MAX_BYTES + 1, 0x20), () => (checked++, UNSIGNED));
      expect(outcome.reply).toMatchObject({ error: { code: 'too-large' } });
      expect(checked).toBe(0);
    });

    it('runs unsigned read-only commands only where the site allows it, never the others', () => {
      const { router, opened, calls, command, clock } = setUp({ acceptUnsignedReadOnly: true });
      const ok = router.handle('look', command(), () => UNSIGNED);
      expect(ok.reply).toEqual({ status: 'ok', id: 'c-1', data: { seen: true } });
      expect(ok.event.payload).toMatchObject({ status: 'ok', kid: null });
      expect(router.handle('look', command(), () => BAD).reply.status).toBe('ok');
      expect(router.handle('look', command(), () => NO_KEY).reply.status).toBe('ok');
      const expiresAt = clock.now() + 5000;
      expect(router.handle('open', command({ expiresAt }), () => UNSIGNED).reply).toMatchObject({
        status: 'error',
        error: { code: 'unsigned' },
      });
      expect(router.handle('repeat', command(), () => BAD).reply).toMatchObject({
        status: 'error',
        error: { code: 'bad-signature' },
      });
      expect(router.handle('nope', command(), () => UNSIGNED).reply).toMatchObject({
        status: 'error',
        error: { code: 'unsigned' },
      });
      expect(opened).toEqual([]);
      expect(calls).toEqual([]);
      // Off (the default): even a read-only command must be signed.
      expect(setUp().router.handle('look', command(), () => UNSIGNED).reply).toMatchObject({
        status: 'error',
        error: { code: 'unsigned' },
      });
    });
  });

  describe('commands that open the barrier', () => {
    it('run within actuatingMaxAgeMs, with an expiresAt', () => {
      const { router, opened, command, clock } = setUp();
      const ts = clock.now() - ACTUATING_MAX_AGE + 1;
      expect(router.handle('open', command({ ts, expiresAt: ts + ACTUATING_MAX_AGE })).reply).toMatchObject({
        status: 'ok',
      });
      expect(
        router.handle(
          'open',
          command({ ts: new Date(clock.now()).toISOString(), expiresAt: new Date(clock.now() + 1).toISOString() }),
        ).reply,
      ).toMatchObject({ status: 'ok' });
      expect(opened).toEqual(['c-1', 'c-2']);
    });

    it.each([
      [
        'without expiresAt',
        (now: number) => ({ ts: now }),
        'invalid',
        'expiresAt: required for open, which opens the barrier',
      ],
      [
        'with an expiresAt further than actuatingMaxAgeMs after ts',
        (now: number) => ({ ts: now, expiresAt: now + ACTUATING_MAX_AGE + 1 }),
        'invalid',
        `expiresAt: ${ACTUATING_MAX_AGE + 1} ms after ts, more than the ${ACTUATING_MAX_AGE} ms allowed for open`,
      ],
      [
        'queued 46 s at the broker while the gate was down (within the general maxAgeMs)',
        (now: number) => ({ ts: now - 46_000, expiresAt: now - 46_000 + 10_000 }),
        'expired',
        'expiresAt: 2025-12-31T23:59:24.000Z has passed',
      ],
      [
        'older than actuatingMaxAgeMs, whatever its expiresAt',
        (now: number) => ({ ts: now - 46_000, expiresAt: now + 1000 }),
        'invalid',
        `expiresAt: 47000 ms after ts, more than the ${ACTUATING_MAX_AGE} ms allowed for open`,
      ],
      [
        'past its expiresAt',
        (now: number) => ({ ts: now - 1000, expiresAt: now }),
        'expired',
        'expiresAt: 2026-01-01T00:00:00.000Z has passed',
      ],
      [
        "too far ahead of the gate's clock",
        (now: number) => ({ ts: now + MAX_FUTURE + 1, expiresAt: now + MAX_FUTURE + 1000 }),
        'too-early',
        'ts: command is',
      ],
    ])('are refused %s', (_what, fields, code, message) => {
      const { router, opened, command, clock } = setUp();
      const outcome = router.handle('open', command(fields(clock.now())));
      expect(outcome.reply).toMatchObject({
        status: 'error',
        id: 'c-1',
        error: { code, message: expect.stringContaining(message) },
      });
      expect(outcome.event.payload).toMatchObject({ name: 'open', status: 'error', reason: code });
      expect(opened).toEqual([]);
    });

    it('leave the other commands to the general age limit', () => {
      const { router, command, clock } = setUp();
      expect(router.handle('repeat', command({ ts: clock.now() - 46_000 })).reply.status).toBe('ok');
      expect(router.handle('look', command({ ts: clock.now() - MAX_AGE })).reply.status).toBe('ok');
    });
  });
});
