import type { Server } from 'node:net';
import type { Logger } from '../core/log.js';
import type { ConnectionRefusal } from './web-counters.js';

export interface ConnectionLimits {
  /** Open connections at most, over all clients; the next one is closed at once. */
  maxConnections: number;
  /** Open connections from one address at most (a browser uses up to 6, plus the stream and the videos). */
  maxConnectionsPerAddress: number;
}

/**
 * Caps the open connections of the page's server, in total (node's maxConnections) and per
 * client address, so a flood of slow or idle clients cannot take every file descriptor of the
 * daemon, whose cameras, serial ports and database need them. A refused connection is closed
 * without an answer (for HTTPS, before the handshake): the cheapest thing to do under a flood.
 * Counted per TCP connection, on the socket's address: a header such as X-Forwarded-For is not
 * believed.
 */
export class ConnectionLimiter {
  private readonly byAddress = new Map<string, number>();
  private open = 0;
  private lastWarnAt = -Infinity;

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly onRefused: (reason: ConnectionRefusal) => void,
    private readonly log: Logger,
    /** Monotonic ms, for spacing the log lines. */
    private readonly now: () => number = () => performance.now(),
  ) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value < 1)
        throw new RangeError(`${name} must be a whole number ≥ 1, got ${value}`);
    }
  }

  /** Applies the limits to `server` (plain TCP or TLS: both emit 'connection' for the raw socket). */
  attach(server: Server): void {
    server.maxConnections = this.limits.maxConnections;
    server.on('drop', () => this.refuse('total', undefined));
    server.on('connection', (socket) => {
      const address = socket.remoteAddress ?? 'unknown';
      const count = (this.byAddress.get(address) ?? 0) + 1;
      if (count > this.limits.maxConnectionsPerAddress) {
        socket.destroy();
        this.refuse('per-address', address);
        return;
      }
      this.byAddress.set(address, count);
      this.open++;
      socket.once('close', () => {
        this.open--;
        const left = (this.byAddress.get(address) ?? 1) - 1;
        if (left > 0) this.byAddress.set(address, left);
        else this.byAddress.delete(address);
      });
    });
  }

  /** Connections open now. */
  get openConnections(): number {
    return this.open;
  }

  private refuse(reason: ConnectionRefusal, address: string | undefined): void {
    this.onRefused(reason);
    // One line a minute at most: a flood must not flood the log too (the metric counts them all).
    const now = this.now();
    if (now - this.lastWarnAt < 60_000) return;
    this.lastWarnAt = now;
    this.log.warn({ reason, address, limits: this.limits }, 'status page: connection refused, too many open');
  }
}
