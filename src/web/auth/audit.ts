import type { Logger } from '../../core/log.js';
import type { EventSink, NewEvent } from '../../store/types.js';
import type { Role } from '../types.js';
import { GATE_LANE_ID } from '../../domain/lanes.js';

/**
 * Who logged in, who failed and was locked out, and who changed the accounts: recorded as `auth`
 * events about the whole gate, so they reach central like any event (docs/web.md). Never a
 * password; for a failed login the username only when such an account exists, since people
 * sometimes type their password into the username field.
 */

export const AUTH_ACTIONS = [
  'login',
  'login-failed',
  'locked-out',
  'logout',
  'user-added',
  'user-removed',
  'password-changed',
] as const;
export type AuthAction = (typeof AUTH_ACTIONS)[number];

export interface AuthRecord {
  action: AuthAction;
  /** Null for a failed login or lock-out naming no existing account. */
  username: string | null;
  /** page: the status page; cli: `smartgate user` on the gate computer. */
  source: 'page' | 'cli';
  /** The client's socket address (page only). */
  address?: string;
  role?: Role;
  /** locked-out: what is locked (the address, the username or both) and for how long. */
  locked?: ('address' | 'username')[];
  retryAfterMs?: number;
}

/** Where the web server and the CLI record these. */
export interface AuthAudit {
  record(entry: AuthRecord): void;
}

/** The `auth` event of an entry, on lane `gate`: the entry's fields that are set. */
export function authEvent(entry: AuthRecord): NewEvent {
  const payload: Record<string, unknown> = Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined));
  return { type: 'auth', laneId: GATE_LANE_ID, payload };
}

/** Records into the gate's event store (lane `gate`), and logs the same line. */
export class EventAuthAudit implements AuthAudit {
  constructor(
    private readonly sink: EventSink,
    private readonly log: Logger,
  ) {}

  record(entry: AuthRecord): void {
    const event = authEvent(entry);
    const quiet = entry.action === 'login' || entry.action === 'logout';
    this.log[quiet ? 'info' : 'warn']({ event: 'auth', ...event.payload }, `auth: ${entry.action}`);
    try {
      this.sink.append(event);
    } catch (err) {
      // A full or locked database must not turn a login into a 500: the log line above stays.
      this.log.error({ err, action: entry.action }, 'auth event not recorded');
    }
  }
}
