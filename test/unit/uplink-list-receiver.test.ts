import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { LIST_MAX_BYTES } from '../../src/uplink/commands-contract.js';
import type { SignatureCheck } from '../../src/uplink/central-inbox.js';
import { ListReceiver } from '../../src/uplink/list-receiver.js';
import { STORE_DEFAULTS, useTempDirs } from '../helpers/store-fixtures.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const SIGNED = { signed: true, kid: 'central-1' } as const;

describe('ListReceiver', () => {
  const temp = useTempDirs();

  function setUp() {
    const store = temp.open(temp.make(), {}, new FakeClock());
    const real = new ListReceiver(store.lists);
    // Signed by central, unless a test says otherwise.
    const receiver = {
      handle: (name: string, payload: Buffer, signature: SignatureCheck = () => SIGNED) =>
        real.handle(name, payload, signature),
    };
    return { lists: store.lists, receiver };
  }

  it.each([
    ['an unsigned push', { signed: false, refusal: { code: 'unsigned', message: 'no "sig" user property' } }],
    ['a badly signed push', { signed: false, refusal: { code: 'bad-signature', message: 'sig: does not verify' } }],
    [
      "a push to a gate without central's key",
      { signed: false, refusal: { code: 'no-central-key', message: 'no key' } },
    ],
  ] as const)('never applies %s, and records the refusal', (_what, verdict) => {
    const { lists, receiver } = setUp();
    const outcome = receiver.handle(
      'allow',
      json({ kind: 'full', version: 1, entries: [{ key: '29C12345' }] }),
      () => verdict,
    );
    expect(outcome.reply).toEqual({ status: 'error', error: verdict.refusal });
    expect(outcome.event).toEqual({
      type: 'list',
      laneId: 'gate',
      payload: {
        name: 'allow',
        status: 'refused',
        reason: verdict.refusal.code,
        kid: null,
        message: verdict.refusal.message,
      },
    });
    expect(lists.get('allow')).toBeUndefined();
  });

  it('checks the signature after the size and before anything else', () => {
    const { receiver } = setUp();
    let checked = 0;
    const unsigned = () => (
      checked++,
      { signed: false as const, refusal: { code: 'unsigned' as const, message: 'm' } }
    );
    expect(receiver.handle('allow', Buffer.alloc(LIST_MAX_BYTES + 1, 0x20), unsigned).reply).toMatchObject({
      error: { code: 'too-large' },
    });
    expect(checked).toBe(0);
    expect(receiver.handle('vip', Buffer.from('not json'), unsigned).reply).toMatchObject({
      error: { code: 'unsigned' },
    });
    expect(checked).toBe(1);
  });

  it('applies a full list, replies with the version and records the push without its entries', () => {
    const { lists, receiver } = setUp();
    const outcome = receiver.handle(
      'deny',
      json({ kind: 'full', version: 4, entries: [{ key: '29C12345', reason: 'stolen' }, { key: '云A12345' }] }),
    );
    expect(outcome.reply).toEqual({ status: 'ok', data: { list: 'deny', version: 4 } });
    expect(outcome.event).toEqual({
      type: 'list',
      laneId: 'gate',
      payload: {
        name: 'deny',
        status: 'applied',
        kind: 'full',
        version: 4,
        entries: 2,
        reason: null,
        kid: 'central-1',
        currentVersion: 4,
      },
    });
    expect(lists.get('deny')).toMatchObject({
      version: 4,
      entries: [{ key: '29C12345', reason: 'stolen' }, { key: '云A12345' }],
    });
  });

  it('takes declarations keyed by their id, and refuses a plate list keyed by anything but plates', () => {
    const { lists, receiver } = setUp();
    const declaration = { key: 'VNPAY-2026-0001', plate: '29C12345', vehicleClass: 'car', validUntil: 2, amount: 1 };
    expect(receiver.handle('declarations', json({ kind: 'full', version: 1, entries: [declaration] })).reply).toEqual({
      status: 'ok',
      data: { list: 'declarations', version: 1 },
    });
    expect(lists.get('declarations')?.entries).toEqual([declaration]);
    const refused = receiver.handle('allow', json({ kind: 'full', version: 1, entries: [{ key: 'VNPAY-2026-0001' }] }));
    expect(refused.reply).toMatchObject({
      status: 'error',
      error: { code: 'invalid', message: expect.stringContaining('entries.0.key: expected canonical plate text') },
    });
    expect(lists.get('allow')).toBeUndefined();
  });

  it('refuses a push that would make a list longer than store.lists.maxEntries as too-many-entries, changing nothing', () => {
    const store = temp.open(temp.make(), { config: { ...STORE_DEFAULTS, lists: { maxEntries: 2 } } }, new FakeClock());
    const real = new ListReceiver(store.lists);
    const receiver = { handle: (name: string, payload: Buffer) => real.handle(name, payload, () => SIGNED) };
    const full = receiver.handle(
      'deny',
      json({ kind: 'full', version: 1, entries: [{ key: 'A1' }, { key: 'B2' }, { key: 'C3' }] }),
    );
    expect(full.reply).toEqual({
      status: 'error',
      error: {
        code: 'too-many-entries',
        message:
          'list "deny" would have 3 entries, more than the 2 this gate holds (store.lists.maxEntries); the list is unchanged',
      },
    });
    expect(full.event.payload).toMatchObject({
      name: 'deny',
      status: 'refused',
      kind: 'full',
      entries: 3,
      reason: 'too-many-entries',
      kid: 'central-1',
    });
    expect(store.lists.get('deny')).toBeUndefined();

    expect(
      receiver.handle('deny', json({ kind: 'full', version: 1, entries: [{ key: 'A1' }, { key: 'B2' }] })).reply.status,
    ).toBe('ok');
    const delta = receiver.handle(
      'deny',
      json({ kind: 'delta', fromVersion: 1, toVersion: 2, add: [{ key: 'C3' }], remove: [] }),
    );
    expect(delta.reply).toMatchObject({ status: 'error', error: { code: 'too-many-entries' } });
    expect(store.lists.get('deny')).toMatchObject({ version: 1, entries: [{ key: 'A1' }, { key: 'B2' }] });
  });

  it('applies a delta on top of the version it was made from', () => {
    const { lists, receiver } = setUp();
    receiver.handle('allow', json({ kind: 'full', version: 1, entries: [{ key: 'A1' }, { key: 'B2' }] }));
    const outcome = receiver.handle(
      'allow',
      json({ kind: 'delta', fromVersion: 1, toVersion: 2, add: [{ key: 'C3' }], remove: ['A1'] }),
    );
    expect(outcome.reply).toEqual({ status: 'ok', data: { list: 'allow', version: 2 } });
    expect(outcome.event.payload).toMatchObject({
      status: 'applied',
      kind: 'delta',
      fromVersion: 1,
      toVersion: 2,
      added: 1,
      removed: 1,
    });
    expect(lists.get('allow')?.entries.map((e) => e.key)).toEqual(['B2', 'C3']);
  });

  it('acknowledges a repeated delta without changing the list', () => {
    const { lists, receiver } = setUp();
    receiver.handle('allow', json({ kind: 'full', version: 1, entries: [{ key: 'A1' }] }));
    const delta = json({ kind: 'delta', fromVersion: 1, toVersion: 2, add: [{ key: 'C3' }] });
    receiver.handle('allow', delta);
    const again = receiver.handle('allow', delta);
    expect(again.reply).toEqual({ status: 'ok', data: { list: 'allow', version: 2, alreadyApplied: true } });
    expect(again.event.payload).toMatchObject({ status: 'repeat', currentVersion: 2 });
    expect(lists.get('allow')?.entries.map((e) => e.key)).toEqual(['A1', 'C3']);
  });

  it('refuses a delta made from another version with version-mismatch and the version the gate has', () => {
    const { lists, receiver } = setUp();
    receiver.handle('deny', json({ kind: 'full', version: 5, entries: [{ key: 'A1' }] }));
    const outcome = receiver.handle(
      'deny',
      json({ kind: 'delta', fromVersion: 6, toVersion: 7, add: [{ key: 'B2' }] }),
    );
    expect(outcome.reply).toEqual({
      status: 'error',
      error: {
        code: 'version-mismatch',
        message: 'fromVersion: the gate has version 5 of list "deny", not 6; send the full list',
        currentVersion: 5,
      },
    });
    expect(outcome.event.payload).toMatchObject({
      name: 'deny',
      status: 'refused',
      reason: 'version-mismatch',
      currentVersion: 5,
      fromVersion: 6,
    });
    expect(lists.get('deny')).toMatchObject({ version: 5, entries: [{ key: 'A1' }] });
  });

  it('refuses a delta to a list the gate never received as version-mismatch with currentVersion null', () => {
    const { receiver } = setUp();
    const outcome = receiver.handle('watch', json({ kind: 'delta', fromVersion: 1, toVersion: 2 }));
    expect(outcome.reply).toMatchObject({ status: 'error', error: { code: 'version-mismatch', currentVersion: null } });
  });

  it.each([
    [
      'an unknown list',
      'vip',
      json({ kind: 'full', version: 1, entries: [] }),
      'unknown-list',
      'no list "vip"; known: allow, deny, watch',
    ],
    ['bad JSON', 'deny', Buffer.from('{"kind":'), 'bad-json', 'payload is not JSON'],
    ['a wrong type', 'deny', json({ kind: 'full', version: '3', entries: [] }), 'invalid', 'version: '],
    [
      'a bad key',
      'deny',
      json({ kind: 'full', version: 3, entries: [{ key: '29-C1' }] }),
      'invalid',
      'entries.0.key: expected canonical plate text',
    ],
    [
      'a payload over the limit',
      'deny',
      Buffer.alloc(LIST_MAX_BYTES + 1, 0x20),
      'too-large',
      `more than the ${LIST_MAX_BYTES} allowed for a list`,
    ],
  ])('refuses %s and leaves the lists as they were', (_what, name, payload, code, message) => {
    const { lists, receiver } = setUp();
    const outcome = receiver.handle(name, payload);
    expect(outcome.reply).toEqual({ status: 'error', error: { code, message: expect.stringContaining(message) } });
    expect(outcome.event).toMatchObject({ type: 'list', laneId: 'gate', payload: { status: 'refused', reason: code } });
    expect(lists.names()).toEqual([]);
  });
});
