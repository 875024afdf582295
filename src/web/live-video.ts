import { statSync } from 'node:fs';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import type { BackoffOptions } from '../core/backoff.js';
import { ffmpegInputArgs, redactCredentials, type FfmpegInput } from '../camera/ffmpeg-args.js';
import { FfmpegSupervisor } from '../camera/ffmpeg-supervisor.js';
import type { SpawnGroupProcess } from '../camera/process-group.js';
import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { LiveVideo } from './types.js';

/*
 * Live video for the page: ffmpeg → MPEG-1 video in MPEG-TS on stdout → WebSocket → JSMpeg,
 * the pipeline node-rtsp-stream uses. We do not use node-rtsp-stream's own classes: its
 * Mpeg1Muxer puts `-i` first, so input options (`-rtsp_transport tcp`, `-re -stream_loop -1`
 * for a clip) cannot be given; it spawns ffmpeg without a process group of its own, so a kill
 * can leave children behind; and its VideoStream opens an unauthenticated WebSocket server on
 * a port of its own, where ours rides on the page's server behind the login.
 */

/** The lane's camera settings as the config gives them (`{ laneId: lane.id, ...lane.camera }`). */
export interface LiveVideoCamera {
  laneId: string;
  /** rtsp://, rtsps:// or file: (a video clip; an image folder has no live video). */
  url: string;
  /** The size frames are decoded to; the video keeps its aspect. */
  width: number;
  height: number;
  /** Clip: start over at the end. */
  loop: boolean;
  /** No video bytes for this long means ffmpeg is stuck: restart it. Default 10 s. */
  stallTimeoutMs?: number;
  /** Between restarts of an ffmpeg that died while viewers remain. Default 1 s doubling to 30 s. */
  backoff?: BackoffOptions;
}

export interface LiveVideoOptions {
  /** Viewers of one lane; the next one is refused with 503. Default 8. */
  maxViewersPerLane?: number;
  /** Widest video sent, in pixels. Default 960. */
  maxWidth?: number;
  /** A viewer with more than this queued gets chunks dropped instead of memory growing. Default 2 MB. */
  maxBufferedBytes?: number;
  /** Between SIGTERM and SIGKILL when ending ffmpeg. Default 2 s. */
  killGraceMs?: number;
  /** One ffmpeg run streaming this long starts the back-off over. Default 10 s. */
  healthyAfterMs?: number;
  /** Default /usr/bin/ffmpeg. */
  ffmpegPath?: string;
}

export interface LiveVideoDeps {
  clock: Clock;
  log: Logger;
  /** Injected by unit tests; the real one spawns ffmpeg as a process-group leader. */
  spawn?: SpawnGroupProcess;
}

type Settings = Required<LiveVideoOptions>;

const DEFAULTS: Settings = {
  maxViewersPerLane: 8,
  maxWidth: 960,
  maxBufferedBytes: 2 * 1024 * 1024,
  killGraceMs: 2_000,
  healthyAfterMs: 10_000,
  ffmpegPath: '/usr/bin/ffmpeg',
};
const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 30_000 };
const DEFAULT_STALL_MS = 10_000;
/** Connecting to a camera and waiting for its first keyframe takes seconds. */
const MIN_FIRST_OUTPUT_MS = 10_000;
const TS_PACKET = 188;

/** What ffmpeg plays for a camera URL, or why there is no live video for it. */
export function liveVideoInput(url: string, loop: boolean): FfmpegInput | { unavailable: string } {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'rtsp' || scheme === 'rtsps') return { kind: 'rtsp', url };
  if (scheme === 'file') {
    const path = fileURLToPath(url);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return { unavailable: `${path} does not exist` };
    if (stat.isDirectory()) return { unavailable: 'an image folder has no live video' };
    return { kind: 'clip', path, loop };
  }
  return { unavailable: `unsupported URL ${redactCredentials(url)}` };
}

/** Even (the encoder's chroma needs it), at most maxWidth wide, same aspect as the camera's frames. */
export function liveVideoSize(width: number, height: number, maxWidth: number): { width: number; height: number } {
  const w = Math.max(2, 2 * Math.floor(Math.min(width, maxWidth) / 2));
  return { width: w, height: Math.max(2, 2 * Math.round((w * height) / width / 2)) };
}

/**
 * The ffmpeg command line: the camera module's input part (quiet logging, no stdin, RTSP over
 * TCP, or a clip at real time and looping), then MPEG-1 in MPEG-TS on stdout for JSMpeg
 * (no B-frames: JSMpeg does not decode them). 25 fps because MPEG-1 allows only the standard
 * rates (23.976 … 60; ffmpeg refuses 10), and 25 is what the cameras here send anyway.
 */
export function liveVideoArgs(input: FfmpegInput, size: { width: number; height: number }): string[] {
  const { width, height } = size;
  if (![width, height].every((v) => Number.isInteger(v) && v > 0)) throw new RangeError(`bad video size ${width}x${height}`);
  return [
    // The camera's own input options, so both read a camera the same way.
    ...ffmpegInputArgs(input),
    ...['-f', 'mpegts', '-codec:v', 'mpeg1video', '-b:v', '1000k', '-bf', '0', '-r', '25'],
    ...['-s', `${width}x${height}`, '-an', '-'],
  ];
}

/** The viewers of one lane and the one ffmpeg they share. */
class LaneVideo {
  readonly viewers = new Set<WebSocket>();
  /** Spawning, the stall watchdog, killing and restarting; any video output is progress. */
  private readonly ffmpeg: FfmpegSupervisor;
  /** Bytes after the last whole TS packet of the current run, sent with the next chunk. */
  private partial = Buffer.alloc(0);
  private stopping = false;
  private droppedChunks = 0;

  constructor(
    private readonly camera: LiveVideoCamera,
    input: FfmpegInput,
    args: string[],
    private readonly settings: Settings,
    private readonly deps: { clock: Clock; log: Logger; spawn?: SpawnGroupProcess },
  ) {
    const stallTimeoutMs = camera.stallTimeoutMs ?? DEFAULT_STALL_MS;
    this.ffmpeg = new FfmpegSupervisor(
      {
        ffmpegPath: settings.ffmpegPath,
        args,
        firstProgressTimeoutMs: Math.max(stallTimeoutMs, MIN_FIRST_OUTPUT_MS),
        stallTimeoutMs,
        backoff: camera.backoff ?? DEFAULT_BACKOFF,
        killGraceMs: settings.killGraceMs,
        healthyAfterMs: settings.healthyAfterMs,
        finite: input.kind === 'clip' && !input.loop,
      },
      deps,
      {
        onRunStart: () => (this.partial = Buffer.alloc(0)),
        onStdout: (chunk) => this.onOutput(chunk),
        onFinished: () => {
          // Like the camera: a clip played once ends, and so does its video.
          for (const ws of this.viewers) ws.close(1000, 'clip ended');
        },
      },
    );
  }

  stats() {
    const { running: ffmpegRunning, restarts } = this.ffmpeg;
    return { laneId: this.camera.laneId, viewers: this.viewers.size, ffmpegRunning, restarts };
  }

  add(ws: WebSocket): void {
    this.viewers.add(ws);
    ws.on('close', () => this.remove(ws));
    // A viewer's socket error ends that viewer only ('close' follows).
    ws.on('error', (err) => this.deps.log.debug({ err: err.message }, 'live video viewer error'));
    this.deps.log.info({ viewers: this.viewers.size }, 'live video viewer joined');
    this.ffmpeg.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // Every ffmpeg of the lane, including one still dying after the last viewer left.
    const ffmpegEnded = this.ffmpeg.stop();
    const viewers = [...this.viewers];
    for (const ws of viewers) ws.close(1001, 'server stopping');
    let graceTimer: Timer | null = null;
    const grace = new Promise<void>((resolve) => (graceTimer = this.deps.clock.setTimeout(resolve, this.settings.killGraceMs)));
    await Promise.all([ffmpegEnded, Promise.race([Promise.all(viewers.map(closedOf)), grace])]);
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
    void this.ffmpeg.stop();
  }

  private onOutput(chunk: Buffer): void {
    this.ffmpeg.progress();
    // Whole TS packets only, so a viewer who joins mid-stream starts on a packet boundary.
    const data = this.partial.length > 0 ? Buffer.concat([this.partial, chunk]) : chunk;
    const whole = data.length - (data.length % TS_PACKET);
    this.partial = Buffer.from(data.subarray(whole));
    if (whole === 0) return;
    const packets = data.subarray(0, whole);
    for (const ws of this.viewers) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      // A slow viewer loses video (JSMpeg recovers at the next keyframe) rather than us buffering it.
      if (ws.bufferedAmount > this.settings.maxBufferedBytes) {
        if (this.droppedChunks++ % 100 === 0) this.deps.log.debug({ dropped: this.droppedChunks }, 'live video viewer too slow; dropping');
        continue;
      }
      ws.send(packets, { binary: true });
    }
  }
}

/**
 * The lanes' live video over WebSocket. One ffmpeg per lane, shared by all its viewers: started
 * with the first viewer, ended when the last one leaves, restarted with back-off if it dies
 * while viewers remain. Authentication is the caller's: it hands over upgrades it has checked.
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

  constructor(cameras: readonly LiveVideoCamera[], deps: LiveVideoDeps, options: LiveVideoOptions = {}) {
    this.settings = { ...DEFAULTS, ...stripUndefined(options) };
    this.log = deps.log.child({ module: 'live-video' });
        for (const camera of cameras) {
      const input = liveVideoInput(camera.url, camera.loop);
      if ('unavailable' in input) {
        this.unavailable.set(camera.laneId, input.unavailable);
        continue;
      }
      const args = liveVideoArgs(input, liveVideoSize(camera.width, camera.height, this.settings.maxWidth));
      const log = this.log.child({ lane: camera.laneId });
      this.lanes.set(camera.laneId, new LaneVideo(camera, input, args, this.settings, { clock: deps.clock, log, spawn: deps.spawn }));
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
      if (this.stopping || lane.viewers.size >= this.settings.maxViewersPerLane) return ws.close(1013, 'too many viewers');
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
