import { statSync } from 'node:fs';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { backoffDelayMs, type BackoffOptions } from '../camera/backoff.js';
import { ffmpegArgs, redactCredentials, type FfmpegInput } from '../camera/ffmpeg-args.js';
import { spawnGroupProcess, type GroupProcess, type ProcessEnd, type SpawnGroupProcess } from '../camera/process-group.js';
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
const MAX_STDERR_LINE = 1_024;

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
  // Taken from the camera's own command line so both read a camera the same way.
  const cameraArgs = ffmpegArgs({ input, fps: 10, ...size });
  const inputEnd = cameraArgs.lastIndexOf('-i') + 2;
  if (inputEnd < 2) throw new Error('camera ffmpeg arguments have no -i');
  return [
    ...cameraArgs.slice(0, inputEnd),
    ...['-f', 'mpegts', '-codec:v', 'mpeg1video', '-b:v', '1000k', '-bf', '0', '-r', '25'],
    ...['-s', `${size.width}x${size.height}`, '-an', '-'],
  ];
}

/** One ffmpeg process of a lane. */
interface Run {
  proc: GroupProcess;
  startedAt: number;
  lastOutputAt: number;
  firstOutputAt: number | null;
  /** Bytes after the last whole TS packet, sent with the next chunk. */
  partial: Buffer;
  stderrTail: string;
  killing: boolean;
  killTimer: Timer | null;
  hasEnded: boolean;
  ended: Promise<void>;
  markEnded: () => void;
}

/** The viewers of one lane and the one ffmpeg they share. */
class LaneVideo {
  readonly viewers = new Set<WebSocket>();
  /** Every run not yet ended, including ones being killed. */
  private readonly runs = new Set<Run>();
  private current: Run | null = null;
  private restartTimer: Timer | null = null;
  private watchdogTimer: Timer | null = null;
  private attempt = 0;
  private restarts = 0;
  private stopping = false;
  private droppedChunks = 0;

  constructor(
    private readonly camera: LiveVideoCamera,
    private readonly input: FfmpegInput,
    private readonly args: string[],
    private readonly settings: Settings,
    private readonly deps: { clock: Clock; log: Logger; spawn: SpawnGroupProcess },
  ) {}

  stats() {
    const running = this.current !== null && !this.current.hasEnded;
    return { laneId: this.camera.laneId, viewers: this.viewers.size, ffmpegRunning: running, restarts: this.restarts };
  }

  add(ws: WebSocket): void {
    this.viewers.add(ws);
    ws.on('close', () => this.remove(ws));
    // A viewer's socket error ends that viewer only ('close' follows).
    ws.on('error', (err) => this.deps.log.debug({ err: err.message }, 'live video viewer error'));
    this.deps.log.info({ viewers: this.viewers.size }, 'live video viewer joined');
    if (!this.current && !this.restartTimer) this.startRun();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.clearTimer('restartTimer');
    this.clearTimer('watchdogTimer');
    const viewers = [...this.viewers];
    for (const ws of viewers) ws.close(1001, 'server stopping');
    this.current = null;
    let graceTimer: Timer | null = null;
    const grace = new Promise<void>((resolve) => (graceTimer = this.deps.clock.setTimeout(resolve, this.settings.killGraceMs)));
    await Promise.all([
      ...[...this.runs].map((run) => this.kill(run)),
      Promise.race([Promise.all(viewers.map(closedOf)), grace]),
    ]);
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
    this.clearTimer('restartTimer');
    this.clearTimer('watchdogTimer');
    const run = this.current;
    this.current = null;
    this.attempt = 0;
    if (run) void this.kill(run);
  }

  private startRun(): void {
    const { clock, log } = this.deps;
    let markEnded!: () => void;
    const ended = new Promise<void>((resolve) => (markEnded = resolve));
    let proc: GroupProcess;
    try {
      proc = this.deps.spawn(this.settings.ffmpegPath, this.args);
    } catch (err) {
      return this.scheduleRestart({ code: null, signal: null, error: err instanceof Error ? err : new Error(String(err)) });
    }
    const now = clock.monotonic();
    const run: Run = {
      proc,
      startedAt: now,
      lastOutputAt: now,
      firstOutputAt: null,
      partial: Buffer.alloc(0),
      stderrTail: '',
      killing: false,
      killTimer: null,
      hasEnded: false,
      ended,
      markEnded,
    };
    this.current = run;
    this.runs.add(run);
    log.debug({ pid: proc.pid, args: this.args.map(redactCredentials) }, 'live video ffmpeg started');
    const live = () => this.current === run && !run.killing;
    proc.onStdout((chunk) => live() && this.onOutput(run, chunk));
    proc.onStderr((chunk) => {
      run.stderrTail = (run.stderrTail + chunk.toString('utf8')).slice(-MAX_STDERR_LINE);
    });
    proc.onEnd((end) => this.onRunEnded(run, end));
    this.armWatchdog(run, this.allowedIdleMs(run));
  }

  private onOutput(run: Run, chunk: Buffer): void {
    const now = this.deps.clock.monotonic();
    run.lastOutputAt = now;
    run.firstOutputAt ??= now;
    if (this.attempt > 0 && now - run.firstOutputAt >= this.settings.healthyAfterMs) this.attempt = 0;
    // Whole TS packets only, so a viewer who joins mid-stream starts on a packet boundary.
    const data = run.partial.length > 0 ? Buffer.concat([run.partial, chunk]) : chunk;
    const whole = data.length - (data.length % TS_PACKET);
    run.partial = Buffer.from(data.subarray(whole));
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

  private allowedIdleMs(run: Run): number {
    const stallMs = this.camera.stallTimeoutMs ?? DEFAULT_STALL_MS;
    return run.firstOutputAt === null ? Math.max(stallMs, MIN_FIRST_OUTPUT_MS) : stallMs;
  }

  /** Kills a run that stopped sending video; the restart follows from its end. */
  private armWatchdog(run: Run, delayMs: number): void {
    this.watchdogTimer = this.deps.clock.setTimeout(() => {
      this.watchdogTimer = null;
      if (this.current !== run || run.killing) return;
      const idleMs = this.deps.clock.monotonic() - run.lastOutputAt;
      const allowedMs = this.allowedIdleMs(run);
      if (idleMs < allowedMs) return this.armWatchdog(run, allowedMs - idleMs);
      this.deps.log.warn({ idleMs, pid: run.proc.pid }, 'no live video from ffmpeg in time; killing it');
      void this.kill(run);
    }, delayMs);
  }

  /** SIGTERM to the group, SIGKILL after the grace period; resolves once the run has ended. */
  private kill(run: Run): Promise<void> {
    if (!run.killing && !run.hasEnded) {
      run.killing = true;
      run.killTimer = this.deps.clock.setTimeout(() => {
        run.killTimer = null;
        this.deps.log.warn({ pid: run.proc.pid }, 'live video ffmpeg ignored SIGTERM; sending SIGKILL');
        run.proc.signalGroup('SIGKILL');
      }, this.settings.killGraceMs);
      run.proc.signalGroup('SIGTERM');
    }
    return run.ended;
  }

  private onRunEnded(run: Run, end: ProcessEnd): void {
    run.hasEnded = true;
    this.runs.delete(run);
    if (run.killTimer) this.deps.clock.clearTimeout(run.killTimer);
    run.killTimer = null;
    run.markEnded();
    if (this.current !== run || this.stopping) return;
    this.current = null;
    this.clearTimer('watchdogTimer');
    if (this.viewers.size === 0) return;
    const clipEnded = this.input.kind === 'clip' && !this.input.loop && end.code === 0 && !run.killing;
    if (clipEnded) {
      // Like the camera: a clip played once ends, and so does its video.
      for (const ws of this.viewers) ws.close(1000, 'clip ended');
      return;
    }
    this.scheduleRestart(end, run.stderrTail);
  }

  private scheduleRestart(end: ProcessEnd, stderrTail = ''): void {
    const delayMs = backoffDelayMs(this.attempt++, this.camera.backoff ?? DEFAULT_BACKOFF);
    const lastError = redactCredentials(end.error?.message ?? stderrTail.trim().split('\n').pop() ?? '');
    this.deps.log.warn({ code: end.code, signal: end.signal, lastError, delayMs }, 'live video ffmpeg ended; restarting after back-off');
    this.restartTimer = this.deps.clock.setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping || this.viewers.size === 0) return;
      this.restarts++;
      this.startRun();
    }, delayMs);
  }

  private clearTimer(name: 'restartTimer' | 'watchdogTimer'): void {
    const timer = this[name];
    if (timer) this.deps.clock.clearTimeout(timer);
    this[name] = null;
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
  private readonly settings: Settings;
  private readonly log: Logger;
  private stopping: Promise<void> | null = null;

  constructor(cameras: readonly LiveVideoCamera[], deps: LiveVideoDeps, options: LiveVideoOptions = {}) {
    this.settings = { ...DEFAULTS, ...stripUndefined(options) };
    this.log = deps.log.child({ module: 'live-video' });
    const spawn = deps.spawn ?? spawnGroupProcess;
    for (const camera of cameras) {
      const input = liveVideoInput(camera.url, camera.loop);
      if ('unavailable' in input) {
        this.unavailable.set(camera.laneId, input.unavailable);
        continue;
      }
      const args = liveVideoArgs(input, liveVideoSize(camera.width, camera.height, this.settings.maxWidth));
      const log = this.log.child({ lane: camera.laneId });
      this.lanes.set(camera.laneId, new LaneVideo(camera, input, args, this.settings, { clock: deps.clock, log, spawn }));
    }
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, laneId: string): void {
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
      lane.add(ws);
    });
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
