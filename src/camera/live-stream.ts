import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BackoffOptions } from '../core/backoff.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { ffmpegInputArgs, redactCredentials, type FfmpegInput } from './ffmpeg-args.js';
import { FfmpegSupervisor } from './ffmpeg-supervisor.js';
import type { SpawnGroupProcess } from './process-group.js';

/*
 * A camera as live video for the page: ffmpeg → MPEG-1 video in MPEG-TS on stdout, the
 * pipeline node-rtsp-stream uses, handed on in whole TS packets. We do not use
 * node-rtsp-stream's own classes: its Mpeg1Muxer puts `-i` first, so input options
 * (`-rtsp_transport tcp`, `-re -stream_loop -1` for a clip) cannot be given, and it spawns
 * ffmpeg without a process group of its own, so a kill can leave children behind. Who watches
 * (the page's WebSockets, behind its login) is src/web/live-video.ts's business.
 */

/** The lane's camera settings as the config gives them (`{ laneId: lane.id, ...lane.camera }`). */
export interface LiveStreamCamera {
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
  /** Between restarts of an ffmpeg that died while the stream is wanted. Default 1 s doubling to 30 s. */
  backoff?: BackoffOptions;
}

export interface LiveStreamOptions {
  /** Widest video sent, in pixels. Default 960. */
  maxWidth?: number;
  /** Between SIGTERM and SIGKILL when ending ffmpeg. Default 2 s. */
  killGraceMs?: number;
  /** One ffmpeg run streaming this long starts the back-off over. Default 10 s. */
  healthyAfterMs?: number;
  /** Default /usr/bin/ffmpeg. */
  ffmpegPath?: string;
}

export interface LiveStreamDeps {
  clock: Clock;
  log: Logger;
  /** Injected by unit tests; the real one spawns ffmpeg as a process-group leader. */
  spawn?: SpawnGroupProcess;
}

/** Where a running stream's video goes. */
export interface LiveStreamSink {
  /** Whole MPEG-TS packets (188 bytes each), so a viewer who joins mid-stream starts on a boundary. */
  packets(data: Buffer): void;
  /** A clip played once has ended, and so has its video. */
  finished(): void;
}

/** One camera's live video: one ffmpeg, run while someone wants it, restarted with back-off if it dies meanwhile. */
export interface LiveStream {
  start(): void;
  /** Ends ffmpeg (its whole process group); resolves when it is gone. */
  stop(): Promise<void>;
  readonly running: boolean;
  readonly restarts: number;
}

/** A lane's live video: how to open it, or why there is none. */
export type LaneLiveStream =
  { laneId: string; open(sink: LiveStreamSink): LiveStream } | { laneId: string; unavailable: string };

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 30_000 };
const DEFAULT_STALL_MS = 10_000;
/** Connecting to a camera and waiting for its first keyframe takes seconds. */
const MIN_FIRST_OUTPUT_MS = 10_000;
const TS_PACKET = 188;

/** Each camera's live stream, or why it has none. */
export function liveStreams(
  cameras: readonly LiveStreamCamera[],
  deps: LiveStreamDeps,
  options: LiveStreamOptions = {},
): LaneLiveStream[] {
  const settings = {
    maxWidth: options.maxWidth ?? 960,
    killGraceMs: options.killGraceMs ?? 2_000,
    healthyAfterMs: options.healthyAfterMs ?? 10_000,
    ffmpegPath: options.ffmpegPath ?? '/usr/bin/ffmpeg',
  };
  return cameras.map((camera) => {
    const input = liveVideoInput(camera.url, camera.loop);
    if ('unavailable' in input) return { laneId: camera.laneId, unavailable: input.unavailable };
    const args = liveVideoArgs(input, liveVideoSize(camera.width, camera.height, settings.maxWidth));
    const stallTimeoutMs = camera.stallTimeoutMs ?? DEFAULT_STALL_MS;
    const log = deps.log.child({ module: 'live-video', lane: camera.laneId });
    return {
      laneId: camera.laneId,
      open: (sink: LiveStreamSink): LiveStream => {
        let partial = Buffer.alloc(0);
        const ffmpeg: FfmpegSupervisor = new FfmpegSupervisor(
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
          { clock: deps.clock, log, spawn: deps.spawn },
          {
            onRunStart: () => (partial = Buffer.alloc(0)),
            onStdout: (chunk) => {
              ffmpeg.progress();
              // Bytes after the last whole packet wait for the next chunk.
              const data = partial.length > 0 ? Buffer.concat([partial, chunk]) : chunk;
              const whole = data.length - (data.length % TS_PACKET);
              partial = Buffer.from(data.subarray(whole));
              if (whole > 0) sink.packets(data.subarray(0, whole));
            },
            onFinished: () => sink.finished(),
          },
        );
        return {
          start: () => ffmpeg.start(),
          stop: () => ffmpeg.stop(),
          get running() {
            return ffmpeg.running;
          },
          get restarts() {
            return ffmpeg.restarts;
          },
        };
      },
    };
  });
}

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
  if (![width, height].every((v) => Number.isInteger(v) && v > 0))
    throw new RangeError(`bad video size ${width}x${height}`);
  return [
    // The camera's own input options, so both read a camera the same way.
    ...ffmpegInputArgs(input),
    ...['-f', 'mpegts', '-codec:v', 'mpeg1video', '-b:v', '1000k', '-bf', '0', '-r', '25'],
    ...['-s', `${width}x${height}`, '-an', '-'],
  ];
}
