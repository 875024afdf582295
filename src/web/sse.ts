import type { ServerResponse } from 'node:http';
import type { EventBus } from '../core/bus.js';
import type { Logger } from '../core/log.js';
import type { LaneEvents } from '../lane/events.js';
import type { PostcheckEvents } from '../postcheck/events.js';
import { plateReadJson } from '../lane/reading/format-read.js';
import type { YardEvents } from '../yard/events.js';
import type { HealthResponse, StreamEventName, StreamMessages } from './api-contract.js';
import { apiEvent } from './api-events.js';

export interface EventStreamOptions {
  /** The `health` message's body, sent every healthIntervalMs. */
  health: () => HealthResponse;
  healthIntervalMs?: number;
  /** A `: ping` comment this often keeps proxies from closing an idle stream. */
  pingIntervalMs?: number;
  /** A client with more than this many bytes not yet taken by its socket is dropped. */
  maxBufferedBytes?: number;
  /** At most one `yard` message per yard this often (ms); the last change is always told. */
  yardIntervalMs?: number;
  /** At most one `postcheck` message per day this often (ms); the last change is always told. */
  postcheckIntervalMs?: number;
}

/**
 * GET /api/stream: the daemon bus as server-sent events (docs/web.md). Every client gets every
 * message; one that does not keep up is dropped rather than buffered without bound (the page
 * reconnects and reloads what it shows).
 */
export class EventStreamHub {
  /** Each stream with the session it was opened with. */
  private readonly clients = new Map<ServerResponse, string>();
  private timers: NodeJS.Timeout[] = [];
  /** Per yard or day: when its last hint went (monotonic ms), and the one waiting to go. */
  private readonly hints = new Map<string, { sentAt: number; timer: NodeJS.Timeout | null }>();
  private running = false;
  private dropped = 0;
  private readonly opts: Required<EventStreamOptions>;

  constructor(
    private readonly ctx: { bus: EventBus<LaneEvents & YardEvents & PostcheckEvents>; log: Logger },
    opts: EventStreamOptions,
  ) {
    this.opts = {
      healthIntervalMs: 5000,
      pingIntervalMs: 15_000,
      maxBufferedBytes: 256 * 1024,
      yardIntervalMs: 1000,
      postcheckIntervalMs: 2000,
      ...opts,
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const { bus } = this.ctx;
    bus.on(this, 'lane.state', ({ laneId, state }) => {
      const { barrier, ...flow } = state;
      this.broadcast('lane', { laneId, state: { flow, barrier } });
    });
    bus.on(this, 'lane.decision', ({ laneId, eventId, read, decision }) =>
      this.broadcast('read', { laneId, eventId, read: plateReadJson(laneId, read), decision }),
    );
    bus.on(this, 'lane.recorded', ({ laneId, event }) => this.broadcast('record', { laneId, event: apiEvent(event) }));
    bus.on(this, 'yard.changed', ({ yardId }) =>
      this.hint(`yard:${yardId}`, this.opts.yardIntervalMs, () => this.broadcast('yard', { yardId })),
    );
    bus.on(this, 'postcheck.changed', ({ day }) =>
      this.hint(`postcheck:${day}`, this.opts.postcheckIntervalMs, () => this.broadcast('postcheck', { day })),
    );
    this.timers = [
      setInterval(() => {
        if (this.clients.size > 0) this.broadcast('health', this.opts.health());
      }, this.opts.healthIntervalMs),
      setInterval(() => this.writeAll(': ping\n\n'), this.opts.pingIntervalMs),
    ];
    for (const t of this.timers) t.unref();
  }

  /** Removes the bus listeners and ends every stream. */
  stop(): void {
    this.running = false;
    this.ctx.bus.removeAll(this);
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const hint of this.hints.values()) if (hint.timer) clearTimeout(hint.timer);
    this.hints.clear();
    for (const res of this.clients.keys()) res.end();
    this.clients.clear();
  }

  /** Takes over a response: headers, a first `health` message, then the bus's messages until it closes or `sessionId` ends. */
  attach(res: ServerResponse, sessionId: string): void {
    if (!this.running) {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    this.clients.set(res, sessionId);
    res.on('close', () => this.clients.delete(res));
    this.send(res, frame('health', this.opts.health()));
  }

  /** Ends the streams opened with this session (it ended): the page's reconnect then gets 401. */
  closeSession(sessionId: string): void {
    for (const [res, owner] of this.clients) {
      if (owner !== sessionId) continue;
      this.clients.delete(res);
      res.end();
    }
  }

  stats() {
    return { clients: this.clients.size, dropped: this.dropped };
  }

  /**
   * A yard changes with every passage, reservation and hold, and its state is large; a day's
   * post-check with every passage, and its report reads the whole day: the page is told what
   * changed (`key`), at most once per `intervalMs`, and fetches it (GET /api/yards,
   * GET /api/postcheck). The last change is always told.
   */
  private hint(key: string, intervalMs: number, send: () => void): void {
    if (this.clients.size === 0) return;
    let hint = this.hints.get(key);
    if (!hint) this.hints.set(key, (hint = { sentAt: -Infinity, timer: null }));
    if (hint.timer) return; // the message waiting tells of this change too
    const go = () => {
      hint.timer = null;
      hint.sentAt = performance.now();
      send();
    };
    const wait = hint.sentAt + intervalMs - performance.now();
    if (wait <= 0) return go();
    hint.timer = setTimeout(go, wait);
    hint.timer.unref();
  }

  /** One message to every client; `data` is the contract's type of that message (api-contract.ts). */
  private broadcast<E extends StreamEventName>(event: E, data: StreamMessages[E]): void {
    if (this.clients.size === 0) return;
    let text: string;
    try {
      text = frame(event, data);
    } catch (err) {
      this.ctx.log.error({ err, event }, 'stream message not serialisable');
      return;
    }
    this.writeAll(text);
  }

  private writeAll(text: string): void {
    for (const res of this.clients.keys()) this.send(res, text);
  }

  private send(res: ServerResponse, text: string): void {
    if (res.writableLength > this.opts.maxBufferedBytes) {
      this.dropped++;
      this.clients.delete(res);
      this.ctx.log.warn({ buffered: res.writableLength }, 'stream client not keeping up: dropped');
      res.destroy();
      return;
    }
    res.write(text);
  }
}

/** One SSE message; JSON has no raw newlines, so `data:` is one line. */
function frame<E extends StreamEventName>(event: E, data: StreamMessages[E]): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
