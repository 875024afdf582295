import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { SlidingWindowLoginLimiter } from '../../src/web/auth/login-limiter.js';

const MIN = 60_000;
const WINDOW = 15 * MIN;

function setup(options = {}) {
  const clock = new FakeClock();
  return { clock, limiter: new SlidingWindowLoginLimiter(clock, options) };
}

describe('SlidingWindowLoginLimiter', () => {
  it('allows 4 failures and locks at the 5th, until the oldest failure is 15 minutes old', () => {
    const { clock, limiter } = setup();
    for (let i = 0; i < 4; i++) {
      limiter.failure('10.0.0.7', 'tran.thi.b');
      expect(limiter.check('10.0.0.7', 'tran.thi.b')).toEqual({ allowed: true });
      clock.advance(MIN);
    }
    limiter.failure('10.0.0.7', 'tran.thi.b'); // at 4 min; the first was at 0
    expect(limiter.check('10.0.0.7', 'tran.thi.b')).toEqual({ allowed: false, retryAfterMs: 11 * MIN });
    clock.advance(11 * MIN - 1);
    expect(limiter.check('10.0.0.7', 'tran.thi.b')).toEqual({ allowed: false, retryAfterMs: 1 });
    clock.advance(1);
    expect(limiter.check('10.0.0.7', 'tran.thi.b')).toEqual({ allowed: true });
    // The window slides: one more failure makes 5 again, and the oldest left is the one at 1 min.
    limiter.failure('10.0.0.7', 'tran.thi.b');
    expect(limiter.check('10.0.0.7', 'tran.thi.b')).toEqual({ allowed: false, retryAfterMs: MIN });
  });

  it('does not lock on failures spread wider than the window', () => {
    const { clock, limiter } = setup();
    for (let i = 0; i < 20; i++) {
      limiter.failure('10.0.0.7', 'tran.thi.b');
      expect(limiter.check('10.0.0.7', 'tran.thi.b').allowed).toBe(true);
      clock.advance(WINDOW / 4);
    }
  });

  type Attempt = [ip: string, username: string];
  it.each<[string, (i: number) => Attempt, Attempt, Attempt]>([
    [
      'one address trying many usernames locks the address',
      (i) => ['10.0.0.7', `user${i}`],
      ['10.0.0.7', 'someone.else'],
      ['10.0.0.8', 'user0'],
    ],
    [
      'many addresses trying one username lock the username',
      (i) => [`10.0.0.${i}`, 'admin'],
      ['192.168.1.1', 'admin'],
      ['10.0.0.1', 'someone.else'],
    ],
  ])('%s, and only it', (_, attempt, locked, free) => {
    const { limiter } = setup();
    for (let i = 0; i < 5; i++) limiter.failure(...attempt(i));
    expect(limiter.check(...locked)).toEqual({ allowed: false, retryAfterMs: WINDOW });
    expect(limiter.check(...free)).toEqual({ allowed: true });
  });

  it('gives the longer wait when both the address and the username are locked', () => {
    const { clock, limiter } = setup();
    for (let i = 0; i < 5; i++) limiter.failure('10.0.0.7', `user${i}`);
    clock.advance(5 * MIN);
    for (let i = 0; i < 5; i++) limiter.failure(`10.0.1.${i}`, 'admin');
    expect(limiter.check('10.0.0.7', 'admin')).toEqual({ allowed: false, retryAfterMs: WINDOW });
    expect(limiter.check('10.0.0.7', 'nobody')).toEqual({ allowed: false, retryAfterMs: WINDOW - 5 * MIN });
  });

  it("a successful login clears the address's failures, not the username's", () => {
    const { limiter } = setup();
    for (let i = 0; i < 4; i++) limiter.failure('10.0.0.7', 'tran.thi.b');
    limiter.failure('10.0.0.9', 'tran.thi.b');
    limiter.success('10.0.0.7', 'tran.thi.b');
    expect(limiter.check('10.0.0.7', 'le.van.c')).toEqual({ allowed: true });
    expect(limiter.check('10.0.0.7', 'tran.thi.b')).toEqual({ allowed: false, retryAfterMs: WINDOW });
    // And the address starts again from zero.
    for (let i = 0; i < 4; i++) limiter.failure('10.0.0.7', `other${i}`);
    expect(limiter.check('10.0.0.7', 'le.van.c')).toEqual({ allowed: true });
  });

  it('takes its numbers from the options', () => {
    const { clock, limiter } = setup({ maxFailures: 2, windowMs: MIN });
    limiter.failure('10.0.0.7', 'a');
    expect(limiter.check('10.0.0.7', 'a').allowed).toBe(true);
    limiter.failure('10.0.0.7', 'a');
    expect(limiter.check('10.0.0.7', 'a')).toEqual({ allowed: false, retryAfterMs: MIN });
    clock.advance(MIN);
    expect(limiter.check('10.0.0.7', 'a')).toEqual({ allowed: true });
  });

  it('forgets keys whose failures have all left the window', () => {
    const { clock, limiter } = setup();
    for (let i = 0; i < 100; i++) limiter.failure(`10.0.0.${i}`, `user${i}`);
    expect(limiter.tracked()).toEqual({ ips: 100, usernames: 100 });
    clock.advance(WINDOW);
    limiter.failure('10.0.9.9', 'late');
    expect(limiter.tracked()).toEqual({ ips: 1, usernames: 1 });
  });

  it('remembers at most maxTrackedKeys of each, forgetting the least recently failed', () => {
    const { clock, limiter } = setup({ maxTrackedKeys: 3 });
    for (let i = 0; i < 5; i++) limiter.failure('10.0.0.1', 'victim'); // locks both
    clock.advance(MIN);
    for (let i = 2; i <= 4; i++) limiter.failure(`10.0.0.${i}`, `user${i}`);
    expect(limiter.tracked()).toEqual({ ips: 3, usernames: 3 });
    expect(limiter.check('10.0.0.1', 'someone').allowed).toBe(true);
    expect(limiter.check('10.0.0.5', 'victim').allowed).toBe(true);
    // A failure refreshes a key's place: the most recently failed survive.
    for (let i = 0; i < 5; i++) limiter.failure('10.0.0.2', 'user2');
    limiter.failure('10.0.0.6', 'user6');
    expect(limiter.check('10.0.0.2', 'nobody').allowed).toBe(false);
    expect(limiter.check('10.0.0.9', 'user2').allowed).toBe(false);
  });

  it('counts a very long username by its first 128 characters, so a flood of huge ones stays small', () => {
    const { limiter } = setup();
    const long = 'x'.repeat(128);
    for (let i = 0; i < 5; i++) limiter.failure(`10.0.0.${i}`, `${long}${'y'.repeat(i * 1000)}`);
    expect(limiter.tracked().usernames).toBe(1);
    expect(limiter.check('10.9.9.9', `${long}zzz`).allowed).toBe(false);
  });

  describe('begin: attempts counted before the check', () => {
    const begun = (start: ReturnType<SlidingWindowLoginLimiter['begin']>) => {
      if (!start.allowed) throw new Error(`refused: ${start.reason}`);
      return start.attempt;
    };

    it('refuses a second attempt for the same address or username while one is being checked', () => {
      const { limiter } = setup();
      const first = begun(limiter.begin('10.0.0.7', 'tran.thi.b'));
      expect(limiter.begin('10.0.0.7', 'le.van.c')).toEqual({
        allowed: false,
        retryAfterMs: 1000,
        reason: 'in-progress',
      });
      expect(limiter.begin('10.0.0.8', 'tran.thi.b')).toEqual({
        allowed: false,
        retryAfterMs: 1000,
        reason: 'in-progress',
      });
      const other = begun(limiter.begin('10.0.0.8', 'le.van.c'));
      first.failed();
      other.failed();
      expect(limiter.begin('10.0.0.7', 'tran.thi.b').allowed).toBe(true);
    });

    it('counts the attempt at once: the 5th to begin locks the others out before its check ends', () => {
      const { limiter } = setup();
      for (let i = 0; i < 4; i++) begun(limiter.begin('10.0.0.7', `user${i}`)).failed();
      const fifth = begun(limiter.begin('10.0.0.7', 'user4'));
      expect(limiter.check('10.0.0.7', 'someone')).toEqual({ allowed: false, retryAfterMs: WINDOW });
      expect(fifth.failed()).toEqual({ locked: ['address'], retryAfterMs: WINDOW });
      expect(limiter.begin('10.0.0.7', 'user5')).toEqual({ allowed: false, retryAfterMs: WINDOW, reason: 'locked' });
    });

    it('a success takes its attempt back: the address is cleared, the username keeps only its real failures', () => {
      const { limiter } = setup();
      for (let i = 0; i < 4; i++) begun(limiter.begin(`10.0.1.${i}`, 'tran.thi.b')).failed();
      begun(limiter.begin('10.0.0.7', 'tran.thi.b')).succeeded();
      expect(limiter.check('10.0.0.9', 'tran.thi.b')).toEqual({ allowed: true });
      // One more failure makes the 5th: the success was not counted.
      expect(begun(limiter.begin('10.0.0.9', 'tran.thi.b')).failed()).toEqual({
        locked: ['username'],
        retryAfterMs: WINDOW,
      });
    });

    it('cancel takes the attempt back entirely; a second end of the same attempt does nothing', () => {
      const { limiter } = setup();
      for (let i = 0; i < 4; i++) begun(limiter.begin('10.0.0.7', 'tran.thi.b')).failed();
      const cancelled = begun(limiter.begin('10.0.0.7', 'tran.thi.b'));
      cancelled.cancel();
      expect(cancelled.failed()).toEqual({ locked: [], retryAfterMs: 0 });
      expect(limiter.check('10.0.0.7', 'tran.thi.b')).toEqual({ allowed: true });
      expect(begun(limiter.begin('10.0.0.7', 'tran.thi.b')).failed().locked).toEqual(['address', 'username']);
    });
  });

  it.each([{ maxFailures: 0 }, { windowMs: -1 }, { maxTrackedKeys: 1.5 }])('refuses options %j', (options) => {
    expect(() => new SlidingWindowLoginLimiter(new FakeClock(), options)).toThrow(RangeError);
  });
});
