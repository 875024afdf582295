import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { DEFAULT_IDLE_TIMEOUT_MS, MemorySessionStore } from '../../src/web/auth/sessions.js';

const HOUR = 3_600_000;
const tran = { username: 'tran.thi.b', role: 'operator' } as const;
const le = { username: 'le.van.c', role: 'viewer' } as const;

function setup(idleTimeoutMs?: number) {
  const clock = new FakeClock();
  const sessions = new MemorySessionStore(clock, idleTimeoutMs === undefined ? {} : { idleTimeoutMs });
  return { clock, sessions };
}

describe('MemorySessionStore', () => {
  it('gives each session a random 256-bit id and CSRF token, base64url', () => {
    const { sessions } = setup();
    const made = Array.from({ length: 20 }, () => sessions.create(tran));
    const tokens = made.flatMap((s) => [s.id, s.csrfToken]);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('finds a session by its id with its user, and nothing for an unknown id', () => {
    const { clock, sessions } = setup();
    clock.advance(5000);
    const session = sessions.create(tran);
    expect(sessions.get(session.id)).toEqual({
      id: session.id,
      user: tran,
      csrfToken: session.csrfToken,
      createdAt: 5000,
      lastSeenAt: 5000,
    });
    expect(sessions.get('not-a-session')).toBeUndefined();
    expect(sessions.get(session.csrfToken)).toBeUndefined();
  });

  it.each([
    ['the default 12 h', undefined, DEFAULT_IDLE_TIMEOUT_MS],
    ['a configured 30 min', 30 * 60_000, 30 * 60_000],
  ])('ends a session unused for %s, and each use restarts the count', (_, option, timeout) => {
    const { clock, sessions } = setup(option);
    const { id } = sessions.create(tran);
    clock.advance(timeout - 1);
    expect(sessions.get(id)?.lastSeenAt).toBe(timeout - 1);
    clock.advance(timeout - 1);
    expect(sessions.get(id)).toBeDefined();
    clock.advance(timeout);
    expect(sessions.get(id)).toBeUndefined();
    // Gone for good, not only hidden: time cannot bring it back.
    expect(sessions.size()).toBe(0);
  });

  it('is 12 hours by default', () => {
    expect(DEFAULT_IDLE_TIMEOUT_MS).toBe(12 * HOUR);
  });

  it('destroy ends one session; destroyUser every session of that user only', () => {
    const { sessions } = setup();
    const [a1, a2, b] = [sessions.create(tran), sessions.create(tran), sessions.create(le)];
    const a3 = sessions.create(tran);
    sessions.destroy(a3.id);
    expect(sessions.get(a3.id)).toBeUndefined();
    expect(sessions.get(a1.id)).toBeDefined();
    sessions.destroyUser('tran.thi.b');
    expect([a1, a2, b].map((s) => sessions.get(s.id)?.user.username)).toEqual([undefined, undefined, 'le.van.c']);
    sessions.destroy('unknown'); // harmless
    sessions.destroyUser('nobody');
    expect(sessions.size()).toBe(1);
  });

  it('prune removes the expired sessions and keeps the live ones', () => {
    const { clock, sessions } = setup(HOUR);
    const old = sessions.create(tran);
    clock.advance(HOUR / 2);
    const recent = sessions.create(le);
    clock.advance(HOUR / 2);
    expect(sessions.prune()).toBe(1);
    expect(sessions.size()).toBe(1);
    expect(sessions.get(recent.id)).toBeDefined();
    expect(sessions.get(old.id)).toBeUndefined();
  });

  it('sweeps out the expired sessions at each login, so abandoned ones do not pile up', () => {
    const { clock, sessions } = setup(HOUR);
    for (let i = 0; i < 10; i++) sessions.create(tran);
    clock.advance(HOUR);
    sessions.create(le);
    expect(sessions.size()).toBe(1);
  });

  it('tells its listeners of every session that ends: logout, the user changed, expiry seen by get or prune', () => {
    const { clock, sessions } = setup(HOUR);
    const ended: string[] = [];
    const unsubscribe = sessions.onEnd((id) => ended.push(id));
    const [a, b, c, d] = [sessions.create(tran), sessions.create(le), sessions.create(le), sessions.create(tran)];
    sessions.destroy(a.id);
    sessions.destroy(a.id); // already ended: not again
    sessions.destroyUser('le.van.c');
    expect(ended).toEqual([a.id, b.id, c.id]);
    clock.advance(HOUR);
    expect(sessions.prune()).toBe(1);
    expect(ended).toEqual([a.id, b.id, c.id, d.id]);
    const e = sessions.create(tran);
    clock.advance(HOUR);
    expect(sessions.get(e.id)).toBeUndefined();
    expect(ended.at(-1)).toBe(e.id);
    unsubscribe();
    sessions.destroy(sessions.create(tran).id);
    expect(ended).toHaveLength(5);
  });

  it('hands out copies: changing one does not change or extend the stored session', () => {
    const { clock, sessions } = setup(HOUR);
    const session = sessions.create(tran);
    session.lastSeenAt = 10 * HOUR;
    session.user.role = 'admin';
    const got = sessions.get(session.id)!;
    got.user.username = 'someone.else';
    expect(sessions.get(session.id)?.user).toEqual(tran);
    clock.advance(HOUR);
    expect(sessions.get(session.id)).toBeUndefined();
  });

  it.each([0, -1, Number.NaN])('refuses an idle timeout of %s', (idleTimeoutMs) => {
    expect(() => new MemorySessionStore(new FakeClock(), { idleTimeoutMs })).toThrow(RangeError);
  });

  it('ends a session whose account changed since its login, on its next use or at the next prune, and tells the listeners', () => {
    const clock = new FakeClock();
    const versions = new Map<string, string>([
      [tran.username, 'v1'],
      [le.username, 'v1'],
    ]);
    const sessions = new MemorySessionStore(clock, {
      accountCurrent: (s) => versions.get(s.user.username) === s.accountVersion,
    });
    const ended: string[] = [];
    sessions.onEnd((id) => ended.push(id));
    const a = sessions.create(tran, 'v1');
    const b = sessions.create(le, 'v1');
    expect(a.accountVersion).toBe('v1');
    expect(sessions.get(a.id)).toBeDefined();
    // A new password (or the account removed and added again): another version.
    versions.set(tran.username, 'v2');
    expect(sessions.get(a.id)).toBeUndefined();
    // Removed: no version at all; an open stream of it ends at the sweep, without a request.
    versions.delete(le.username);
    expect(sessions.prune()).toBe(1);
    expect(ended).toEqual([a.id, b.id]);
    expect(sessions.size()).toBe(0);
  });

  it('keeps a session at prune when the account check fails (its next use checks again)', () => {
    let failing = true;
    const sessions = new MemorySessionStore(new FakeClock(), {
      accountCurrent: () => {
        if (failing) throw new Error('disk I/O error');
        return false;
      },
    });
    const { id } = sessions.create(tran, 'v1');
    expect(sessions.prune()).toBe(0);
    failing = false;
    expect(sessions.get(id)).toBeUndefined();
  });
});
