import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ROLES, type Role } from './api-contract.js';

/**
 * The small interfaces the web server is built from, so each part can be tested alone and the
 * daemon gives the real ones. The HTTP contract itself is in docs/web.md.
 */

// The roles are part of the page's API contract (api-contract.ts).
export { ROLES, type Role };

/** viewer: sees everything; operator: also confirms/refuses holds and opens by hand; admin: also manages users (CLI). */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export interface User {
  username: string;
  role: Role;
}

/** A user whose password was just checked, with the version of the account checked. */
export interface VerifiedUser extends User {
  /** UserDirectory.accountVersion of the account at the check. */
  accountVersion: string;
}

/**
 * Local accounts (src/web/auth/users.ts, in the gate's SQLite store). Read from the store on every
 * call, never cached: `smartgate user` changes them beside the running daemon.
 */
export interface UserDirectory {
  /** The user when the password is right; null otherwise (unknown user or wrong password: same cost, same answer). */
  verify(username: string, password: string): Promise<VerifiedUser | null>;
  get(username: string): User | undefined;
  count(): number;
  /**
   * An opaque value that changes when the account is removed, added again, gets a new password
   * or another role; undefined when there is no such account. A session lives only as long as
   * its account's version is the one it logged in with.
   */
  accountVersion(username: string): string | undefined;
}

export interface Session {
  /** Random, 256 bits, base64url: the value of the session cookie. */
  id: string;
  user: User;
  /** Sent by the page in the X-CSRF-Token header of every state-changing request. */
  csrfToken: string;
  /** Monotonic ms. */
  createdAt: number;
  lastSeenAt: number;
  /** The account's version at login (UserDirectory.accountVersion), when the directory gave one. */
  accountVersion?: string;
}

export interface SessionStore {
  /** `accountVersion`: the account's at login (VerifiedUser.accountVersion). */
  create(user: User, accountVersion?: string): Session;
  /** The live session (and marks it used), or undefined when unknown or expired. */
  get(id: string): Session | undefined;
  destroy(id: string): void;
  /** Ends every session of a user (password changed, user removed). */
  destroyUser(username: string): void;
  /** Ends the sessions unused for too long; returns how many (their listeners are called). */
  prune(): number;
  /**
   * Calls `listener` with the id of every session that ends (logout, destroyUser, expiry noticed
   * by `get` or `prune`), so what was opened with it (event streams, live video) is closed.
   * Returns the unsubscribe.
   */
  onEnd(listener: (id: string) => void): () => void;
}

export type LoginCheck = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * A login's password check, counted as a failure from its start: exactly one of the three ends
 * it (later calls do nothing).
 */
export interface LoginAttempt {
  /** The password was right: the attempt no longer counts, and the address's failures are cleared. */
  succeeded(): void;
  /** Wrong password, or the check failed: it stays counted. Says which keys this failure locked. */
  failed(): { locked: ('address' | 'username')[]; retryAfterMs: number };
  /** The password was never checked (no capacity): the attempt is taken back. */
  cancel(): void;
}

export type LoginStart =
  | { allowed: true; attempt: LoginAttempt }
  /** locked: too many failures; in-progress: another login for the address or username is being checked. */
  | { allowed: false; retryAfterMs: number; reason: 'locked' | 'in-progress' };

/** Slows down password guessing: per client address and per username. */
export interface LoginLimiter {
  /** Counts a login before its password is checked, or refuses it. */
  begin(ip: string, username: string): LoginStart;
}

/** Live video of the lanes over WebSocket, behind the login (src/web/live-video.ts). */
export interface LiveVideo {
  /** Takes over an upgrade request the server has already authenticated for `laneId`, made with the session `sessionId`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, laneId: string, sessionId: string): void;
  /** Closes the viewers opened with this session (it ended). */
  closeSession(sessionId: string): void;
  /** Ends every viewer and every ffmpeg it started. */
  stop(): Promise<void>;
  stats(): { lanes: { laneId: string; viewers: number; ffmpegRunning: boolean; restarts: number }[] };
}

/** The newest frame of a lane with the last plate's box and text drawn on it (src/lane/reading/annotated-frame.ts). */
export interface AnnotatedFrames {
  /** JPEG, or null before the lane's first frame. */
  latestJpeg(laneId: string): Promise<Buffer | null>;
}
