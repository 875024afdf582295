import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import { FfmpegSource, type FfmpegSourceOptions } from '../../src/camera/ffmpeg-source.js';
import { FakeProcess } from '../helpers/fake-group-process.js';

const W = 4;
const H = 2;
const FRAME_BYTES = W * H * 3;

function setup(overrides: Partial<FfmpegSourceOptions> = {}) {
  const clock = new FakeClock();
  const procs: FakeProcess[] = [];
  const source = new FfmpegSource(
    {
      id: 'lane1',
      input: { kind: 'rtsp', url: 'rtsp://admin:pw@cam/lane' },
      fps: 5,
      width: W,
      height: H,
      stallTimeoutMs: 1_000,
      firstFrameTimeoutMs: 2_000,
      backoff: { initialMs: 100, maxMs: 1_000 },
      killGraceMs: 500,
      healthyAfterMs: 3_000,
      ...overrides,
    },
    {
      clock,
      log: silentLogger,
      spawn: (command, args) => {
        const proc = new FakeProcess(1000 + procs.length, command, args);
        procs.push(proc);
        return proc;
      },
    },
  );
  const last = () => procs[procs.length - 1]!;
  /** One whole frame whose bytes are all `value`. */
  const frameBytes = (value: number) => Buffer.alloc(FRAME_BYTES, value);
  return { clock, procs, source, last, frameBytes };
}

/** Lets promise callbacks run (the fake clock only moves timers). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('FfmpegSource', () => {
  it('runs ffmpeg with the built arguments and hands out frames cut from its stdout', async () => {
    const { source, last, clock } = setup();
    await source.start();
    expect(last().command).toBe('/usr/bin/ffmpeg');
    expect(last().args).toContain('rtsp://admin:pw@cam/lane');
    expect(source.stats().state).toBe('starting');

    const bytes = Buffer.concat([Buffer.alloc(FRAME_BYTES, 1), Buffer.alloc(FRAME_BYTES, 2)]);
    last().write(bytes.subarray(0, 5));
    last().write(bytes.subarray(5, FRAME_BYTES + 3));
    const first = await source.next();
    expect(first).toMatchObject({ width: W, height: H, seq: 1, monotonicAt: clock.monotonic() });
    expect(first?.data).toEqual(Buffer.alloc(FRAME_BYTES, 1));
    last().write(bytes.subarray(FRAME_BYTES + 3));
    expect((await source.next())?.data).toEqual(Buffer.alloc(FRAME_BYTES, 2));
    expect(source.stats()).toMatchObject({ state: 'streaming', framesIn: 2, framesProcessed: 2, framesDropped: 0 });
  });

  it('keeps only the newest frame for a slow consumer', async () => {
    const { source, last, frameBytes } = setup();
    await source.start();
    for (let v = 1; v <= 4; v++) last().write(frameBytes(v));
    const frame = await source.next();
    expect(frame?.seq).toBe(4);
    expect(frame?.data).toEqual(frameBytes(4));
    expect(source.stats()).toMatchObject({ framesIn: 4, framesProcessed: 1, framesDropped: 3 });
  });

  it('kills the process group when frames stop, SIGKILLs after the grace period, and restarts', async () => {
    const { source, procs, last, clock, frameBytes } = setup();
    await source.start();
    // Frames keep the watchdog quiet, however long the stream runs.
    for (let i = 0; i < 5; i++) {
      clock.advance(900);
      last().write(frameBytes(i));
    }
    expect(procs[0]!.signals).toEqual([]);

    clock.advance(999);
    expect(procs[0]!.signals).toEqual([]);
    clock.advance(1);
    expect(procs[0]!.signals).toEqual(['SIGTERM']);
    expect(source.stats().state).toBe('stalled');

    procs[0]!.write(frameBytes(9)); // late output of a process being killed is ignored
    expect(source.stats().framesIn).toBe(5);

    clock.advance(500);
    expect(procs[0]!.signals).toEqual(['SIGTERM', 'SIGKILL']);
    procs[0]!.exit(null, 'SIGKILL');
    expect(source.stats().state).toBe('backoff');

    clock.advance(99);
    expect(procs).toHaveLength(1);
    clock.advance(1);
    expect(procs).toHaveLength(2);
    expect(source.stats()).toMatchObject({ state: 'starting', restarts: 1 });
    last().write(frameBytes(1));
    expect((await source.next())?.seq).toBe(6);
  });

  it('gives a new process firstFrameTimeoutMs for its first frame, then the stall timeout', async () => {
    const { source, procs, last, clock, frameBytes } = setup();
    await source.start();
    clock.advance(1_900);
    last().write(frameBytes(1));
    clock.advance(999);
    expect(procs[0]!.signals).toEqual([]);
    clock.advance(1);
    expect(procs[0]!.signals).toEqual(['SIGTERM']);
  });

  it('also restarts a process that never delivers a first frame', async () => {
    const { source, procs, clock } = setup();
    await source.start();
    clock.advance(1_999);
    expect(procs[0]!.signals).toEqual([]);
    clock.advance(1);
    expect(procs[0]!.signals).toEqual(['SIGTERM']);
    procs[0]!.exit(255); // ffmpeg exits on SIGTERM
    clock.advance(100);
    expect(procs).toHaveLength(2);
    expect(procs[0]!.signals).toEqual(['SIGTERM']); // no SIGKILL once it has gone
    expect(clock.pendingTimers()).toBe(1); // just the new process's watchdog
  });

  it('backs off exponentially while ffmpeg keeps failing, and starts over after a healthy stretch', async () => {
    const { source, procs, last, clock, frameBytes } = setup();
    await source.start();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      last().exit(1);
      const before = procs.length;
      let waited = 0;
      while (procs.length === before) {
        clock.advance(1);
        waited++;
      }
      delays.push(waited);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);

    // A short burst of frames is not enough to trust the camera again...
    last().write(frameBytes(1));
    clock.advance(500);
    last().write(frameBytes(2));
    last().exit(1);
    clock.advance(999);
    expect(procs).toHaveLength(8 - 1);
    clock.advance(1);
    expect(procs).toHaveLength(8);

    // ...but frames for healthyAfterMs are.
    for (let t = 0; t <= 3_000; t += 500) {
      last().write(frameBytes(t % 256));
      clock.advance(500);
    }
    last().exit(0);
    clock.advance(99);
    expect(procs).toHaveLength(8);
    clock.advance(1);
    expect(procs).toHaveLength(9);
    expect(source.stats().restarts).toBe(8);
  });

  it("keeps ffmpeg's last stderr line as lastError, with credentials hidden", async () => {
    const { source, last } = setup();
    await source.start();
    last().writeStderr('[rtsp @ 0x55] method DESCRIBE failed: 401 Unauthorized\n[tcp @ 0x56] Connec');
    expect(source.stats().lastError).toBe('[rtsp @ 0x55] method DESCRIBE failed: 401 Unauthorized');
    last().writeStderr('tion to rtsp://admin:pw@cam/lane failed\r\n\n');
    expect(source.stats().lastError).toBe('[tcp @ 0x56] Connection to rtsp://***@cam/lane failed');
    last().writeStderr('rtsp://admin:pw@cam/lane: Immediate exit requested');
    last().exit(1);
    expect(source.stats()).toMatchObject({
      state: 'backoff',
      lastError: 'rtsp://***@cam/lane: Immediate exit requested',
    });
  });

  it('keeps retrying when ffmpeg cannot be started at all', async () => {
    const { source, procs, clock } = setup();
    await source.start();
    procs[0]!.exit(null, null, new Error('spawn /usr/bin/ffmpeg ENOENT'));
    expect(source.stats()).toMatchObject({ state: 'backoff', lastError: 'spawn /usr/bin/ffmpeg ENOENT' });
    clock.advance(100);
    expect(procs).toHaveLength(2);
  });

  it('stop() resolves a waiting next() with null, terminates the group and waits for the exit', async () => {
    const { source, procs, clock } = setup();
    await source.start();
    const waiting = source.next();
    let stopped = false;
    const stopping = source.stop().then(() => (stopped = true));
    expect(await waiting).toBeNull();
    expect(procs[0]!.signals).toEqual(['SIGTERM']);
    await settle();
    expect(stopped).toBe(false);

    procs[0]!.exit(null, 'SIGTERM');
    await stopping;
    expect(source.stats().state).toBe('stopped');
    expect(await source.next()).toBeNull();
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(60_000);
    expect(procs).toHaveLength(1);
  });

  it('stop() during back-off cancels the restart', async () => {
    const { source, procs, clock } = setup();
    await source.start();
    procs[0]!.exit(1);
    await source.stop();
    clock.advance(60_000);
    expect(procs).toHaveLength(1);
    expect(procs[0]!.signals).toEqual([]);
    expect(source.stats().state).toBe('stopped');
  });

  it('a clip played once ends: the last frame is still handed out, then null', async () => {
    const { source, procs, last, clock, frameBytes } = setup({
      input: { kind: 'clip', path: '/v/a.mp4', loop: false },
    });
    await source.start();
    expect(last().args).toContain('/v/a.mp4');
    last().write(frameBytes(1));
    last().write(frameBytes(2));
    last().exit(0);
    expect(source.stats().state).toBe('ended');
    expect((await source.next())?.seq).toBe(2);
    expect(await source.next()).toBeNull();
    clock.advance(60_000);
    expect(procs).toHaveLength(1);
  });

  it('a looping clip that exits is restarted like a camera', async () => {
    const { source, procs, last, clock } = setup({ input: { kind: 'clip', path: '/v/a.mp4', loop: true } });
    await source.start();
    last().exit(0);
    clock.advance(100);
    expect(procs).toHaveLength(2);
  });
});
