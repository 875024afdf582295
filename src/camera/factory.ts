import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { BackoffOptions } from '../core/backoff.js';
import { redactCredentials } from './ffmpeg-args.js';
import { FfmpegSource } from './ffmpeg-source.js';
import { ImageFolderSource } from './image-folder-source.js';
import type { FrameSource } from './types.js';

export interface FrameSourceOptions {
  id: string;
  /** rtsp://… or rtsps://… (a camera), file:… of a video clip, or file:… of an image folder. */
  url: string;
  fps: number;
  width: number;
  height: number;
  stallTimeoutMs: number;
  backoff: BackoffOptions;
  /** Clip and image folder: start over at the end instead of ending. */
  loop: boolean;
  /** Default /usr/bin/ffmpeg. */
  ffmpegPath?: string;
}

export interface FrameSourceContext {
  clock: Clock;
  log: Logger;
}

/** Picks the frame source for a camera URL. Throws for an unknown scheme or a missing file. */
export function createFrameSource(opts: FrameSourceOptions, ctx: FrameSourceContext): FrameSource {
  const log = ctx.log.child({ camera: opts.id });
  const deps = { clock: ctx.clock, log };
  const { id, fps, width, height } = opts;
  const ffmpegCommon = {
    id,
    fps,
    width,
    height,
    stallTimeoutMs: opts.stallTimeoutMs,
    backoff: opts.backoff,
    ffmpegPath: opts.ffmpegPath,
  };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(opts.url)?.[1]?.toLowerCase();

  if (scheme === 'rtsp' || scheme === 'rtsps') {
    return new FfmpegSource({ ...ffmpegCommon, input: { kind: 'rtsp', url: opts.url } }, deps);
  }
  if (scheme === 'file') {
    const path = fileURLToPath(opts.url);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) throw new Error(`camera ${id}: ${path} does not exist`);
    if (stat.isDirectory()) return new ImageFolderSource({ id, dir: path, fps, width, height, loop: opts.loop }, deps);
    return new FfmpegSource({ ...ffmpegCommon, input: { kind: 'clip', path, loop: opts.loop } }, deps);
  }
  throw new Error(`camera ${id}: unsupported URL ${redactCredentials(opts.url)} (use rtsp://, rtsps:// or file:)`);
}
