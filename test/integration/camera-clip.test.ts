import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { createFrameSource } from '../../src/camera/factory.js';
import type { Frame, FrameSource } from '../../src/camera/types.js';
import { makeClip, type TestClip } from '../helpers/make-clip.js';

function clipSource(clip: TestClip, loop: boolean): FrameSource {
  return createFrameSource(
    {
      id: 'clip-test',
      url: pathToFileURL(clip.path).href,
      fps: 10,
      width: 160,
      height: 90,
      stallTimeoutMs: 5_000,
      backoff: { initialMs: 250, maxMs: 2_000 },
      loop,
    },
    { clock: systemClock, log: silentLogger },
  );
}

function ffmpegChildren(): number[] {
  return execFileSync('ps', ['-e', '-o', 'pid=,ppid=,comm='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, ppid, comm]) => Number(ppid) === process.pid && comm === 'ffmpeg')
    .map(([pid]) => Number(pid));
}

describe('clip source (file: URL to a video, through the same ffmpeg pipeline)', () => {
  let clip: TestClip;

  beforeAll(async () => {
    clip = await makeClip({ seconds: 1, fps: 10, width: 320, height: 180 });
  });

  afterAll(async () => {
    await clip?.remove();
  });

  it('plays the clip once at real time and then ends', async () => {
    const source = clipSource(clip, false);
    await source.start();
    const frames: Frame[] = [];
    try {
      for (
        let f = await source.next(AbortSignal.timeout(20_000));
        f;
        f = await source.next(AbortSignal.timeout(20_000))
      ) {
        frames.push(f);
      }
      const stats = source.stats();
      expect(stats.state).toBe('ended');
      // 1 s at 10 fps: ten frames come out of ffmpeg, whether or not we took each one.
      expect(stats.framesIn).toBe(10);
      expect(frames.length + stats.framesDropped).toBe(10);
      expect(stats.restarts).toBe(0);
      for (const frame of frames) {
        expect(frame).toMatchObject({ width: 160, height: 90 });
        expect(frame.data.length).toBe(160 * 90 * 3);
      }
      expect(frames.map((f) => f.seq)).toEqual([...frames.map((f) => f.seq)].sort((a, b) => a - b));
    } finally {
      await source.stop();
    }
    expect(ffmpegChildren()).toEqual([]);
  });

  it('loops the clip until stopped', async () => {
    const source = clipSource(clip, true);
    await source.start();
    try {
      let frame: Frame | null = null;
      // More frames than one pass of the 1 s clip holds.
      while (!frame || frame.seq <= 25) frame = await source.next(AbortSignal.timeout(20_000));
      expect(frame?.data.length).toBe(160 * 90 * 3);
      expect(source.stats()).toMatchObject({ state: 'streaming', restarts: 0 });
      expect(ffmpegChildren()).toHaveLength(1);
    } finally {
      await source.stop();
    }
    expect(ffmpegChildren()).toEqual([]);
    expect(await source.next()).toBeNull();
  });
});
