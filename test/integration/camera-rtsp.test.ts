import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { FfmpegSource } from '../../src/camera/ffmpeg-source.js';
import { spawnGroupProcess, type SpawnGroupProcess } from '../../src/camera/process-group.js';
import type { Frame } from '../../src/camera/types.js';
import { makeClip, type TestClip } from '../helpers/make-clip.js';
import { startRtspServer, type RtspServer } from '../helpers/rtsp-server.js';
import { inGroups as inOurGroups, processes, waitFor } from '../helpers/processes.js';

/** Takes frames until one captured after `sinceMono`; rejects after `timeoutMs`. */
async function frameAfter(source: FfmpegSource, sinceMono: number, timeoutMs: number): Promise<Frame> {
  const signal = AbortSignal.timeout(timeoutMs);
  for (;;) {
    const frame = await source.next(signal);
    if (!frame) throw new Error('source ended');
    if (frame.monotonicAt > sinceMono) return frame;
  }
}

function varies(data: Buffer): boolean {
  return data.some((v) => v !== data[0]);
}

describe('FfmpegSource on a real RTSP server', () => {
  let clip: TestClip;
  let server: RtspServer;

  beforeAll(async () => {
    clip = await makeClip({ seconds: 10, fps: 10 });
    server = await startRtspServer(clip.path);
  });

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await clip?.remove();
  });

  function rtspSource(spawned: number[], stallTimeoutMs = 5_000): FfmpegSource {
    const recordingSpawn: SpawnGroupProcess = (command, args) => {
      const proc = spawnGroupProcess(command, args);
      if (proc.pid !== undefined) spawned.push(proc.pid);
      return proc;
    };
    return new FfmpegSource(
      {
        id: 'lane-test',
        input: { kind: 'rtsp', url: server.url },
        fps: 5,
        width: 320,
        height: 180,
        stallTimeoutMs,
        backoff: { initialMs: 250, maxMs: 2_000 },
        killGraceMs: 1_000,
      },
      { clock: systemClock, log: silentLogger, spawn: recordingSpawn },
    );
  }

  it('delivers frames of the configured size', async () => {
    const spawned: number[] = [];
    const source = rtspSource(spawned);
    await source.start();
    try {
      const first = await frameAfter(source, -1, 20_000);
      const second = await frameAfter(source, first.monotonicAt, 20_000);
      for (const frame of [first, second]) {
        expect(frame).toMatchObject({ width: 320, height: 180 });
        expect(frame.data.length).toBe(320 * 180 * 3);
        expect(varies(frame.data)).toBe(true); // a picture, not an empty buffer
      }
      expect(second.seq).toBeGreaterThan(first.seq);
      expect(source.stats()).toMatchObject({ state: 'streaming', restarts: 0 });
    } finally {
      await source.stop();
    }
    expect(inOurGroups(spawned)).toEqual([]);
  });

  it('restarts ffmpeg after the server drops out and comes back, leaving exactly one ffmpeg', async () => {
    const spawned: number[] = [];
    const source = rtspSource(spawned);
    await source.start();
    try {
      await frameAfter(source, -1, 20_000);

      await server.stop('SIGKILL'); // the camera vanishes mid-stream
      await waitFor(() => source.stats().restarts >= 1, 20_000);

      server = await startRtspServer(clip.path, server.port);
      const back = systemClock.monotonic();
      const frame = await frameAfter(source, back, 30_000);
      expect(frame.data.length).toBe(320 * 180 * 3);
      expect(source.stats().state).toBe('streaming');

      // Exactly one ffmpeg of ours: a child of this process, leading its own group, the newest one.
      const ours = processes().filter((p) => p.ppid === process.pid && p.comm === 'ffmpeg');
      expect(ours).toHaveLength(1);
      expect(ours[0]!.pid).toBe(spawned[spawned.length - 1]);
      expect(ours[0]!.pgid).toBe(ours[0]!.pid);
      expect(inOurGroups(spawned)).toEqual(ours);
    } finally {
      await source.stop();
    }
    expect(spawned.length).toBeGreaterThanOrEqual(2);
    expect(inOurGroups(spawned)).toEqual([]);
    expect(source.stats().state).toBe('stopped');
    expect(await source.next()).toBeNull();
  });

  it('kills a stalled ffmpeg (server frozen) through the watchdog and recovers', async () => {
    const spawned: number[] = [];
    const source = rtspSource(spawned, 1_500);
    await source.start();
    try {
      await frameAfter(source, -1, 20_000);

      process.kill(server.pid, 'SIGSTOP'); // connection stays open, but nothing more arrives
      try {
        await waitFor(() => source.stats().restarts >= 1, 20_000);
        expect(source.stats().framesIn).toBeGreaterThan(0);
      } finally {
        process.kill(server.pid, 'SIGCONT');
      }
      const frame = await frameAfter(source, systemClock.monotonic(), 30_000);
      expect(frame.data.length).toBe(320 * 180 * 3);
      const ours = processes().filter((p) => p.ppid === process.pid && p.comm === 'ffmpeg');
      expect(ours.map((p) => p.pid)).toEqual([spawned[spawned.length - 1]]);
    } finally {
      await source.stop();
    }
    expect(inOurGroups(spawned)).toEqual([]);
  });
});
