import { randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { Session, SessionStore, User } from '../types.js';

export const DEFAULT_IDLE_TIMEOUT_MS = 12 * 60 * 60 * 1000;

export interface MemorySessionStoreOptions {
  /** A session unused this long (ms) has ended. Default 12 h. */
  idleTimeoutMs?: number;
  /**
   * Whether the session's account is still as it logged in (not removed, same password, same
   * role): checked on every use and every prune; a session for which it is false has ended.
   * Default: always.
   */
  accountCurrent?: (session: Readonly<Session>) => boolean;
}

/**
 * The page's login sessions, in the daemon's memory only: a restart logs everyone out. A session
 * of an account removed or changed meanwhile (`smartgate user` beside the running daemon) ends on
 * its next use, or at the next prune (accountCurrent). Ages are measured on the monotonic clock,
 * so a wall-clock step neither ends nor extends one.
 */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly idleTimeoutMs: number;
  private readonly accountCurrent: (session: Readonly<Session>) => boolean;
  private readonly endListeners = new Set<(id: string) => void>();

  constructor(
    private readonly clock: Pick<Clock, 'monotonic'>,
    options: MemorySessionStoreOptions = {},
  ) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.accountCurrent = options.accountCurrent ?? (() => true);
    if (!(this.idleTimeoutMs > 0)) throw new RangeError(`idleTimeoutMs must be > 0, got ${this.idleTimeoutMs}`);
  }

  create(user: User, accountVersion?: string): Session {
    // Logins are the only way sessions pile up, so each one sweeps out the expired.
    this.prune();
    const now = this.clock.monotonic();
    const session: Session = {
      id: randomToken(),
      user: { ...user },
      csrfToken: randomToken(),
      createdAt: now,
      lastSeenAt: now,
      ...(accountVersion !== undefined && { accountVersion }),
    };
    this.sessions.set(session.id, session);
    return copy(session);
  }

  get(id: string): Session | undefined {
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const now = this.clock.monotonic();
    if (this.expired(session, now) || !this.accountCurrent(session)) {
      this.end(id);
      return undefined;
    }
    session.lastSeenAt = now;
    return copy(session);
  }

  destroy(id: string): void {
    this.end(id);
  }

  destroyUser(username: string): void {
    for (const [id, session] of this.sessions) if (session.user.username === username) this.end(id);
  }

  /** Removes the expired sessions and those of accounts changed or removed; returns how many. */
  prune(): number {
    const now = this.clock.monotonic();
    let removed = 0;
    for (const [id, session] of this.sessions) {
      if (this.expired(session, now) || !this.stillCurrent(session)) {
        this.end(id);
        removed++;
      }
    }
    return removed;
  }

  onEnd(listener: (id: string) => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  /** Sessions held, expired ones not yet pruned included. */
  size(): number {
    return this.sessions.size;
  }

  /** Forgets the session and tells the listeners, which close what was opened with it. */
  private end(id: string): void {
    if (!this.sessions.delete(id)) return;
    for (const listener of this.endListeners) listener(id);
  }

  /** For prune, which runs on a timer: a failed check keeps the session, and its next use checks again. */
  private stillCurrent(session: Session): boolean {
    try {
      return this.accountCurrent(session);
    } catch {
      return true;
    }
  }

  private expired(session: Session, now: number): boolean {
    return now - session.lastSeenAt >= this.idleTimeoutMs;
  }
}

/** 256 random bits, cookie- and header-safe. */
function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Callers get a copy: changing it must not extend or alter the stored session. */
function copy(session: Session): Session {
  return { ...session, user: { ...session.user } };
}
