import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { LatestFrameSlot } from './latest-frame.js';
import type { CameraState, CameraStats, Frame, FrameSource } from './types.js';
import { errorMessage } from '../core/error-message.js';

export interface ImageFolderSourceOptions {
  id: string;
  /** Directory of .jpg/.jpeg/.png images, shown in file-name order. */
  dir: string;
  fps: number;
  width: number;
  height: number;
  /** Start over after the last image; otherwise the source ends there. */
  loop: boolean;
}

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png']);

/** The folder's images in the order they are shown: by name, numbers compared as numbers. */
export async function listImages(dir: string): Promise<string[]> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()))
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return names.map((name) => join(dir, name));
}

/** Decodes an image to packed RGB24 of exactly width×height (stretched, like ffmpeg's scale). */
export async function decodeImage(path: string, width: number, height: number): Promise<Buffer> {
  const { data, info } = await sharp(path)
    .resize(width, height, { fit: 'fill' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || data.length !== width * height * 3) {
    throw new Error(`${path}: decoded to ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x3`);
  }
  return data;
}

/**
 * Frames from a folder of still images at a fixed rate, for demos and tests without a camera.
 * Same latest-frame-wins contract as a camera; when not looping, next() gives null after the
 * last image.
 */
export class ImageFolderSource implements FrameSource {
  readonly id: string;
  private readonly slot: LatestFrameSlot;
  private state: CameraState = 'stopped';
  private files: string[] = [];
  private index = 0;
  private seq = 0;
  private lastError: string | null = null;
  private timer: Timer | null = null;
  private inFlight: Promise<void> = Promise.resolve();
  private started = false;
  private stopped = false;
  /** Monotonic time the next image is due; kept on a fixed grid so decoding time does not drift it. */
  private dueAt = 0;

  constructor(
    private readonly opts: ImageFolderSourceOptions,
    private readonly deps: { clock: Clock; log: Logger },
  ) {
    this.id = opts.id;
    this.slot = new LatestFrameSlot(deps.clock);
  }

  async start(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    this.state = 'starting';
    this.files = await listImages(this.opts.dir);
    if (this.files.length === 0) throw new Error(`camera ${this.id}: no .jpg/.png images in ${this.opts.dir}`);
    if (this.stopped) return;
    this.deps.log.info({ images: this.files.length, loop: this.opts.loop }, 'image folder source started');
    this.dueAt = this.deps.clock.monotonic();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    this.slot.close('discard');
    await this.inFlight;
    this.state = 'stopped';
  }

  next(signal?: AbortSignal): Promise<Frame | null> {
    return this.slot.take(signal);
  }

  stats(): CameraStats {
    return { state: this.state, ...this.slot.counters(), restarts: 0, lastError: this.lastError };
  }

  private schedule(): void {
    const delay = Math.max(0, this.dueAt - this.deps.clock.monotonic());
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = null;
      this.inFlight = this.emitNext();
    }, delay);
  }

  private async emitNext(): Promise<void> {
    const path = this.files[this.index]!;
    this.index++;
    try {
      const data = await decodeImage(path, this.opts.width, this.opts.height);
      if (this.stopped) return;
      const { clock } = this.deps;
      this.slot.put({
        width: this.opts.width,
        height: this.opts.height,
        data,
        seq: ++this.seq,
        capturedAt: clock.now(),
        monotonicAt: clock.monotonic(),
      });
      this.state = 'streaming';
    } catch (err) {
      // One unreadable image should not end the demo: note it and go on with the next.
      this.lastError = errorMessage(err);
      this.deps.log.warn({ path, err: this.lastError }, 'cannot decode image; skipping it');
    }
    if (this.stopped) return;
    if (this.index >= this.files.length) {
      if (!this.opts.loop) {
        this.state = 'ended';
        this.slot.close('drain');
        return;
      }
      this.index = 0;
    }
    this.dueAt = Math.max(this.dueAt + 1_000 / this.opts.fps, this.deps.clock.monotonic());
    this.schedule();
  }
}
