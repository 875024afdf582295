import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import { createFrameSource, type FrameSourceOptions } from '../../src/camera/factory.js';
import { FfmpegSource } from '../../src/camera/ffmpeg-source.js';
import { ImageFolderSource } from '../../src/camera/image-folder-source.js';

describe('createFrameSource', () => {
  let dir: string;
  const ctx = { clock: new FakeClock(), log: silentLogger };
  const opts = (url: string): FrameSourceOptions => ({
    id: 'cam1',
    url,
    fps: 5,
    width: 64,
    height: 32,
    stallTimeoutMs: 5_000,
    backoff: { initialMs: 500, maxMs: 30_000 },
    loop: true,
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartgate-factory-'));
    await writeFile(join(dir, 'clip.mp4'), '');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(['rtsp://admin:pw@10.0.0.5/stream1', 'RTSP://cam/1', 'rtsps://cam/1'])('%s → ffmpeg source', (url) => {
    const source = createFrameSource(opts(url), ctx);
    expect(source).toBeInstanceOf(FfmpegSource);
    expect(source.id).toBe('cam1');
    expect(source.stats().state).toBe('stopped');
  });

  it('a file: URL of a video → ffmpeg source', () => {
    expect(createFrameSource(opts(pathToFileURL(join(dir, 'clip.mp4')).href), ctx)).toBeInstanceOf(FfmpegSource);
  });

  it('a file: URL of a directory → image-folder source', () => {
    expect(createFrameSource(opts(pathToFileURL(dir).href), ctx)).toBeInstanceOf(ImageFolderSource);
  });

  it('refuses a file that does not exist', () => {
    expect(() => createFrameSource(opts(pathToFileURL(join(dir, 'missing.mp4')).href), ctx)).toThrow(/does not exist/);
  });

  it('refuses other schemes without echoing credentials', () => {
    expect(() => createFrameSource(opts('http://admin:pw@cam/video.mjpg'), ctx)).toThrow(
      'camera cam1: unsupported URL http://***@cam/video.mjpg (use rtsp://, rtsps:// or file:)',
    );
  });
});
