import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { LiveVideo } from './types.js';

/*
 * Live video for the page: each lane's MPEG-TS stream (src/camera/live-stream.ts, ffmpeg
 * making MPEG-1 for JSMpeg) fanned out to its viewers' WebSockets, which ride on the page's
 * server behind the login.
 */

/** A running stream of one lane's video. */
export interface LaneVideoStream {
  start(): void;
  stop(): Promise<void>;
  readonly running: boolean;
  readonly restarts: number;
}

/**
 * A lane's live video as the camera gives it (src/camera/live-stream.ts): how to open it, with
 * where its whole MPEG-TS packets go and what to do when a clip ends, or why there is none.
 */
export type LaneVideoSource =
  | { laneId: string; open: (sink: { packets(data: Buffer): void; finished(): void }) => LaneVideoStream }
  | { laneId: string; unavailable: string };

export interface LiveVideoOptions {
  /** Viewers of one lane; the next one is refused with 503. Default 8. */
  maxViewersPerLane?: number;
  /** A viewer with more than this queued gets chunks dropped instead of memory growing. Default 2 MB. */
  maxBufferedBytes?: number;
  /** How long viewers get to answer the close at stop before they are cut off. Default 2 s. */
  closeGraceMs?: number;
}

export interface LiveVideoDeps {
  clock: Clock;
  log: Logger;
}

type Settings = Required<LiveVideoOptions>;

const DEFAULTS: Settings = {
  maxViewersPerLane: 8,
  maxBufferedBytes: 2 * 1024 * 1024,
  closeGraceMs: 2_000,
};

/** The viewers of one lane and the one stream they share. */
class LaneVideo {
  readonly viewers = new Set<WebSocket>();
  private readonly stream: LaneVideoStream;
  private stopping = false;
  private droppedChunks = 0;

  constructor(
    private readonly laneId: string,
    open: Extract<LaneVideoSource, { open: unknown }>['open'],
    private readonly settings: Settings,
    private readonly deps: { clock: Clock; log: Logger },
  ) {
    this.stream = open({
      packets: (packets) => this.send(packets),
      // Like the camera: a clip played once ends, and so does its video.
      finished: () => {
        for (const ws of this.viewers) ws.close(1000, 'clip ended');
      },
    });
  }

  stats() {
    return {
      laneId: this.laneId,
      viewers: this.viewers.size,
      ffmpegRunning: this.stream.running,
      restarts: this.stream.restarts,
    };
  }

  add(ws: WebSocket): void {
    this.viewers.add(ws);
    ws.on('close', () => this.remove(ws));
    // A viewer's socket error ends that viewer only ('close' follows).
    ws.on('error', (err) => this.deps.log.debug({ err: err.message }, 'live video viewer error'));
    this.deps.log.info({ viewers: this.viewers.size }, 'live video viewer joined');
    this.stream.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // The lane's ffmpeg, including one still dying after the last viewer left.
    const streamEnded = this.stream.stop();
    const viewers = [...this.viewers];
    for (const ws of viewers) ws.close(1001, 'server stopping');
    let graceTimer: Timer | null = null;
    const grace = new Promise<void>(
      (resolve) => (graceTimer = this.deps.clock.setTimeout(resolve, this.settings.closeGraceMs)),
    );
    await Promise.all([streamEnded, Promise.race([Promise.all(viewers.map(closedOf)), grace])]);
    if (graceTimer) this.deps.clock.clearTimeout(graceTimer);
    // Viewers that did not answer the close handshake in time are cut off.
    for (const ws of this.viewers) ws.terminate();
    this.viewers.clear();
  }

  private remove(ws: WebSocket): void {
    if (!this.viewers.delete(ws) || this.stopping) return;
    this.deps.log.info({ viewers: this.viewers.size }, 'live video viewer left');
    if (this.viewers.size > 0) return;
    // Nobody watches: no ffmpeg, no camera connection, no CPU.
    void this.stream.stop();
  }

  private send(packets: Buffer): void {
    for (const ws of this.viewers) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      // A slow viewer loses video (JSMpeg recovers at the next keyframe) rather than us buffering it.
      if (ws.bufferedAmount > this.settings.maxBufferedBytes) {
        if (this.droppedChunks++ % 100 === 0)
          this.deps.log.debug({ dropped: this.droppedChunks }, 'live video viewer too slow; dropping');
        continue;
      }
      ws.send(packets, { binary: true });
    }
  }
}

/**
 * The lanes' live video over WebSocket. One stream (one ffmpeg) per lane, shared by all its
 * viewers: started with the first viewer, ended when the last one leaves (the stream restarts
 * its ffmpeg with back-off if it dies while viewers remain). Authentication is the caller's: it
 * hands over upgrades it has checked.
 */
export class LiveVideoServer implements LiveVideo {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly lanes = new Map<string, LaneVideo>();
  private readonly unavailable = new Map<string, string>();
  /** The session each viewer was opened with. */
  private readonly sessions = new Map<WebSocket, string>();
  private readonly settings: Settings;
  private readonly log: Logger;
  private stopping: Promise<void> | null = null;

  constructor(streams: readonly LaneVideoSource[], deps: LiveVideoDeps, options: LiveVideoOptions = {}) {
    this.settings = { ...DEFAULTS, ...stripUndefined(options) };
    this.log = deps.log.child({ module: 'live-video' });
    for (const stream of streams) {
      if ('unavailable' in stream) {
        this.unavailable.set(stream.laneId, stream.unavailable);
        continue;
      }
      const log = this.log.child({ lane: stream.laneId });
      this.lanes.set(
        stream.laneId,
        new LaneVideo(stream.laneId, stream.open, this.settings, { clock: deps.clock, log }),
      );
    }
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, laneId: string, sessionId: string): void {
    if (this.stopping) return refuse(socket, 503, 'live video is stopping');
    const lane = this.lanes.get(laneId);
    if (!lane) return refuse(socket, 404, this.unavailable.get(laneId) ?? 'no such lane');
    if (lane.viewers.size >= this.settings.maxViewersPerLane) {
      this.log.warn({ lane: laneId, viewers: lane.viewers.size }, 'live video viewer refused: lane full');
      return refuse(socket, 503, 'too many viewers of this lane');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // Checked again: in case the upgrade completed later than the check above.
      if (this.stopping || lane.viewers.size >= this.settings.maxViewersPerLane)
        return ws.close(1013, 'too many viewers');
      this.sessions.set(ws, sessionId);
      ws.on('close', () => this.sessions.delete(ws));
      lane.add(ws);
    });
  }

  closeSession(sessionId: string): void {
    for (const [ws, owner] of this.sessions) {
      if (owner !== sessionId) continue;
      this.sessions.delete(ws);
      // 1008 policy violation: the login this video was opened with is over. Nothing more is
      // sent from now on (only open viewers get video); the socket goes when the client answers.
      ws.close(1008, 'session ended');
    }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all([...this.lanes.values()].map((lane) => lane.stop()));
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    })();
    return this.stopping;
  }

  stats(): ReturnType<LiveVideo['stats']> {
    return { lanes: [...this.lanes.values()].map((lane) => lane.stats()) };
  }
}

function closedOf(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => ws.once('close', () => resolve()));
}

/** Answers an upgrade request with a plain HTTP error instead of a WebSocket. */
function refuse(socket: Duplex, status: number, message: string): void {
  const body = `${message}\n`;
  socket.once('finish', () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
