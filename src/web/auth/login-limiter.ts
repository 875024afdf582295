import type { Clock } from '../../core/clock.js';
import type { LoginAttempt, LoginCheck, LoginLimiter, LoginStart } from '../types.js';

export interface LoginLimiterOptions {
  /** Failures within the window that lock an address or a username. Default 5. */
  maxFailures?: number;
  /** Default 15 min. */
  windowMs?: number;
  /** Addresses (and, apart, usernames) remembered at most; the least recently failed are forgotten first. Default 10,000. */
  maxTrackedKeys?: number;
}

/**
 * Slows down password guessing: too many failed logins from one address, or for one username,
 * within the window lock that address or username until the oldest of those failures leaves
 * the window. Per username too, so guessing one account from many addresses is slowed as well.
 *
 * A login is counted as a failure when its check begins, not when the slow hash ends (a success
 * takes it back), and one address or username has at most one check under way: otherwise a burst
 * of parallel guesses would all pass `check` before the first of them failed.
 */
export class SlidingWindowLoginLimiter implements LoginLimiter {
  private readonly byIp: FailureWindows;
  private readonly byUsername: FailureWindows;
  /** Addresses and usernames with a check under way (keys cut like the windows'). */
  private readonly checkingIps = new Set<string>();
  private readonly checkingUsernames = new Set<string>();

  constructor(clock: Pick<Clock, 'monotonic'>, options: LoginLimiterOptions = {}) {
    const settings = {
      maxFailures: options.maxFailures ?? 5,
      windowMs: options.windowMs ?? 15 * 60 * 1000,
      maxTrackedKeys: options.maxTrackedKeys ?? 10_000,
    };
    for (const [name, value] of Object.entries(settings)) {
      if (!Number.isSafeInteger(value) || value < 1)
        throw new RangeError(`${name} must be a whole number ≥ 1, got ${value}`);
    }
    this.byIp = new FailureWindows(clock, settings);
    this.byUsername = new FailureWindows(clock, settings);
  }

  begin(ip: string, username: string): LoginStart {
    const checked = this.check(ip, username);
    if (!checked.allowed) return { ...checked, reason: 'locked' };
    const [ipKey, userKey] = [key(ip), key(username)];
    if (this.checkingIps.has(ipKey) || this.checkingUsernames.has(userKey)) {
      return { allowed: false, retryAfterMs: IN_PROGRESS_RETRY_MS, reason: 'in-progress' };
    }
    this.checkingIps.add(ipKey);
    this.checkingUsernames.add(userKey);
    const ipAt = this.byIp.add(ip);
    const userAt = this.byUsername.add(username);
    let open = true;
    const end = (): boolean => {
      if (!open) return false;
      open = false;
      this.checkingIps.delete(ipKey);
      this.checkingUsernames.delete(userKey);
      return true;
    };
    const attempt: LoginAttempt = {
      succeeded: () => {
        if (!end()) return;
        this.byIp.clear(ip);
        this.byUsername.remove(username, userAt);
      },
      failed: () => {
        if (!end()) return { locked: [], retryAfterMs: 0 };
        // Single-flight per key: not locked when the attempt began, so locked now means by it.
        const locked = (
          [
            ['address', this.byIp.lockedForMs(ip)],
            ['username', this.byUsername.lockedForMs(username)],
          ] as const
        ).filter(([, ms]) => ms > 0);
        return { locked: locked.map(([scope]) => scope), retryAfterMs: Math.max(0, ...locked.map(([, ms]) => ms)) };
      },
      cancel: () => {
        if (!end()) return;
        this.byIp.remove(ip, ipAt);
        this.byUsername.remove(username, userAt);
      },
    };
    return { allowed: true, attempt };
  }

  check(ip: string, username: string): LoginCheck {
    const retryAfterMs = Math.max(this.byIp.lockedForMs(ip), this.byUsername.lockedForMs(username));
    return retryAfterMs > 0 ? { allowed: false, retryAfterMs } : { allowed: true };
  }

  failure(ip: string, username: string): void {
    this.byIp.add(ip);
    this.byUsername.add(username);
  }

  /** Clears the address's failures only: the username's stay, as the docs promise (web.md). */
  success(ip: string, _username: string): void {
    this.byIp.clear(ip);
  }

  /** Keys remembered now (addresses, usernames): for tests and stats. */
  tracked(): { ips: number; usernames: number } {
    return { ips: this.byIp.size(), usernames: this.byUsername.size() };
  }
}

/** Longer keys are cut: a username over 64 characters cannot exist, and memory stays bounded. */
const MAX_KEY_LENGTH = 128;
const key = (s: string) => s.slice(0, MAX_KEY_LENGTH);
/** What a login refused because another one for the address or username is being checked is told to wait. */
const IN_PROGRESS_RETRY_MS = 1000;

/** Recent failure times (monotonic ms) per key, oldest first, with bounded memory. */
class FailureWindows {
  /** In order of the last failure, least recent first (a key is re-inserted at each failure). */
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly clock: Pick<Clock, 'monotonic'>,
    private readonly settings: { maxFailures: number; windowMs: number; maxTrackedKeys: number },
  ) {}

  /** How long `key` stays locked; 0 when it is not. */
  lockedForMs(key: string): number {
    const now = this.clock.monotonic();
    const times = this.recent(key.slice(0, MAX_KEY_LENGTH), now);
    // Only the newest maxFailures are kept, so times[0] is the oldest failure that still counts.
    if (times.length < this.settings.maxFailures) return 0;
    return times[0]! + this.settings.windowMs - now;
  }

  /** Adds a failure now; returns its time, for `remove`. */
  add(key: string): number {
    key = key.slice(0, MAX_KEY_LENGTH);
    const now = this.clock.monotonic();
    const times = this.recent(key, now);
    times.push(now);
    // More than maxFailures cannot lock any longer than the newest maxFailures do.
    if (times.length > this.settings.maxFailures) times.splice(0, times.length - this.settings.maxFailures);
    this.failures.delete(key);
    this.failures.set(key, times);
    this.forgetOld(now);
    return now;
  }

  /** Takes back the failure added at `at` (an attempt that succeeded or was never checked). */
  remove(key: string, at: number): void {
    key = key.slice(0, MAX_KEY_LENGTH);
    const times = this.failures.get(key);
    const index = times?.lastIndexOf(at) ?? -1;
    if (index === -1) return;
    times!.splice(index, 1);
    if (times!.length === 0) this.failures.delete(key);
  }

  clear(key: string): void {
    this.failures.delete(key.slice(0, MAX_KEY_LENGTH));
  }

  size(): number {
    return this.failures.size;
  }

  /** The key's failures still in the window (the stored array, trimmed). */
  private recent(key: string, now: number): number[] {
    const times = this.failures.get(key) ?? [];
    const firstInWindow = times.findIndex((t) => now - t < this.settings.windowMs);
    if (firstInWindow === -1) {
      this.failures.delete(key);
      return [];
    }
    if (firstInWindow > 0) times.splice(0, firstInWindow);
    return times;
  }

  /** Drops keys whose newest failure has left the window, then the least recent beyond the cap. */
  private forgetOld(now: number): void {
    for (const [key, times] of this.failures) {
      // Map order is by last failure: the first key still in the window ends the sweep.
      if (now - times.at(-1)! < this.settings.windowMs) break;
      this.failures.delete(key);
    }
    for (const key of this.failures.keys()) {
      if (this.failures.size <= this.settings.maxTrackedKeys) break;
      this.failures.delete(key);
    }
  }
}
