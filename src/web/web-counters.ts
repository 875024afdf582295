import { AUTH_ACTIONS, type AuthAction } from './auth/audit.js';

export const LOGIN_RESULTS = ['success', 'failure', 'rate-limited', 'busy'] as const;
export type LoginResult = (typeof LOGIN_RESULTS)[number];
export const CONNECTION_REFUSALS = ['total', 'per-address'] as const;
export type ConnectionRefusal = (typeof CONNECTION_REFUSALS)[number];

/** What the web server counts since start, for /metrics (docs/web.md#metrics). */
export interface WebMetrics {
  logins: Record<LoginResult, number>;
  authEvents: Record<AuthAction, number>;
  connections: { open: number; refused: Record<ConnectionRefusal, number> };
}

export class WebCounters {
  readonly logins = zeros(LOGIN_RESULTS);
  readonly authEvents = zeros(AUTH_ACTIONS);
  readonly refused = zeros(CONNECTION_REFUSALS);

  snapshot(openConnections: number): WebMetrics {
    return {
      logins: { ...this.logins },
      authEvents: { ...this.authEvents },
      connections: { open: openConnections, refused: { ...this.refused } },
    };
  }
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}
