import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import { FfmpegSupervisor, type FfmpegSupervisorOptions } from '../../src/camera/ffmpeg-supervisor.js';
import { FakeProcess } from '../helpers/fake-group-process.js';

function setup(overrides: Partial<FfmpegSupervisorOptions> = {}, spawnError?: () => Error | null) {
  const clock = new FakeClock();
  const procs: FakeProcess[] = [];
  const events: string[] = [];
  const output: string[] = [];
  const ffmpeg = new FfmpegSupervisor(
    {
      args: ['-i', 'rtsp://admin:pw@cam/lane', 'pipe:1'],
      firstProgressTimeoutMs: 2_000,
      stallTimeoutMs: 1_000,
      backoff: { initialMs: 100, maxMs: 1_000 },
      killGraceMs: 500,
      healthyAfterMs: 3_000,
      finite: false,
      ...overrides,
    },
    {
      clock,
      log: silentLogger,
      spawn: (command, args) => {
        const error = spawnError?.();
        if (error) throw error;
        const proc = new FakeProcess(1000 + procs.length, command, args);
        procs.push(proc);
        return proc;
      },
    },
    {
      onRunStart: () => events.push('runStart'),
      onStdout: (chunk) => output.push(chunk.toString()),
      onStall: () => events.push('stall'),
      onBackoff: () => events.push('backoff'),
      onFinished: () => events.push('finished'),
    },
  );
  const last = () => procs[procs.length - 1]!;
  /** Advances the clock a millisecond at a time until the next spawn; returns the wait. */
  const waitForSpawn = () => {
    const before = procs.length;
    let waited = 0;
    while (procs.length === before && waited < 100_000) {
      clock.advance(1);
      waited++;
    }
    return waited;
  };
  return { clock, procs, events, output, ffmpeg, last, waitForSpawn };
}

/** Lets promise callbacks run (the fake clock only moves timers). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('FfmpegSupervisor', () => {
  it('spawns ffmpeg once with the given arguments and passes its stdout on', () => {
    const { ffmpeg, procs, last, events, output } = setup({ ffmpegPath: '/opt/ffmpeg' });
    expect(ffmpeg.running).toBe(false);
    ffmpeg.start();
    ffmpeg.start(); // already running: no second process
    expect(procs).toHaveLength(1);
    expect(last().command).toBe('/opt/ffmpeg');
    expect(last().args).toEqual(['-i', 'rtsp://admin:pw@cam/lane', 'pipe:1']);
    expect(events).toEqual(['runStart']);
    expect(ffmpeg.running).toBe(true);
    last().write('abc');
    expect(output).toEqual(['abc']);
    expect(ffmpeg.progress()).toBe(true); // the run's first progress
    expect(ffmpeg.progress()).toBe(false);
    expect(ffmpeg).toMatchObject({ restarts: 0, lastError: null });
  });

  // First progress at 1.9 s: the first-progress deadline (2 s) would still allow 100 ms more; at
  // 100 ms it would allow 1.9 s more. Either way the stall timeout (1 s) counts from then on.
  it.each([1_900, 100])(
    'allows firstProgressTimeoutMs until the first progress, then stallTimeoutMs (first at %i ms)',
    (firstAt) => {
      const { ffmpeg, procs, clock } = setup();
      ffmpeg.start();
      clock.advance(firstAt);
      ffmpeg.progress();
      clock.advance(999);
      expect(procs[0]!.signals).toEqual([]);
      clock.advance(1);
      expect(procs[0]!.signals).toEqual(['SIGTERM']);
    },
  );

  it('kills a stalled run (SIGTERM, then SIGKILL after the grace period), ignores its output, and restarts it', () => {
    const { ffmpeg, procs, last, clock, events, output } = setup();
    ffmpeg.start();
    for (let i = 0; i < 5; i++) {
      clock.advance(900);
      ffmpeg.progress();
    }
    expect(procs[0]!.signals).toEqual([]);
    clock.advance(1_000);
    expect(procs[0]!.signals).toEqual(['SIGTERM']);
    expect(events).toEqual(['runStart', 'stall']);
    expect(ffmpeg.running).toBe(true); // until it has actually gone

    procs[0]!.write('late');
    procs[0]!.writeStderr('late error\n');
    expect(output).toEqual([]);
    expect(ffmpeg.lastError).toBeNull();
    expect(ffmpeg.progress()).toBe(false);

    clock.advance(500);
    expect(procs[0]!.signals).toEqual(['SIGTERM', 'SIGKILL']);
    procs[0]!.exit(null, 'SIGKILL');
    expect(events).toEqual(['runStart', 'stall', 'backoff']);
    expect(ffmpeg.running).toBe(false);

    clock.advance(99);
    expect(procs).toHaveLength(1);
    clock.advance(1);
    expect(procs).toHaveLength(2);
    expect(ffmpeg.restarts).toBe(1);
    last().write('new');
    expect(output).toEqual(['new']);
  });

  it('sends no SIGKILL to a run that ended on SIGTERM, and leaves only the new watchdog pending', () => {
    const { ffmpeg, procs, clock } = setup();
    ffmpeg.start();
    clock.advance(2_000);
    procs[0]!.exit(255);
    clock.advance(100);
    expect(procs).toHaveLength(2);
    expect(procs[0]!.signals).toEqual(['SIGTERM']);
    expect(clock.pendingTimers()).toBe(1);
  });

  it('backs off exponentially while runs keep failing, and starts over after a healthy stretch', () => {
    const { ffmpeg, procs, last, clock, waitForSpawn } = setup();
    ffmpeg.start();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      last().exit(1);
      delays.push(waitForSpawn());
    }
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);

    // Progress for less than healthyAfterMs is not enough...
    ffmpeg.progress();
    clock.advance(500);
    ffmpeg.progress();
    last().exit(1);
    expect(waitForSpawn()).toBe(1_000);

    // ...progress for healthyAfterMs is.
    for (let t = 0; t <= 3_000; t += 500) {
      ffmpeg.progress();
      clock.advance(500);
    }
    last().exit(0);
    expect(waitForSpawn()).toBe(100);
    expect(procs).toHaveLength(9);
    expect(ffmpeg.restarts).toBe(8);
  });

  it("keeps ffmpeg's last stderr line as lastError, with credentials hidden, including an unfinished last line", () => {
    const { ffmpeg, last } = setup();
    ffmpeg.start();
    last().writeStderr('[rtsp @ 0x55] method DESCRIBE failed: 401 Unauthorized\n[tcp @ 0x56] Connec');
    expect(ffmpeg.lastError).toBe('[rtsp @ 0x55] method DESCRIBE failed: 401 Unauthorized');
    last().writeStderr('tion to rtsp://admin:pw@cam/lane failed\r\n\n');
    expect(ffmpeg.lastError).toBe('[tcp @ 0x56] Connection to rtsp://***@cam/lane failed');
    last().writeStderr('rtsp://admin:pw@cam/lane: Immediate exit requested');
    last().exit(1);
    expect(ffmpeg.lastError).toBe('rtsp://***@cam/lane: Immediate exit requested');
  });

  it('keeps retrying when ffmpeg cannot be started, whether spawn throws or the process never runs', () => {
    let throwNext = true;
    const { ffmpeg, procs, events, clock } = setup({}, () => {
      if (!throwNext) return null;
      throwNext = false;
      return new Error('spawn EINVAL rtsp://admin:pw@cam/lane');
    });
    ffmpeg.start();
    expect(procs).toHaveLength(0);
    expect(events).toEqual(['runStart', 'backoff']);
    expect(ffmpeg).toMatchObject({ running: false, lastError: 'spawn EINVAL rtsp://***@cam/lane' });
    clock.advance(100);
    expect(procs).toHaveLength(1);

    procs[0]!.exit(null, null, new Error('spawn /usr/bin/ffmpeg ENOENT'));
    expect(ffmpeg.lastError).toBe('spawn /usr/bin/ffmpeg ENOENT');
    clock.advance(200);
    expect(procs).toHaveLength(2);
    expect(ffmpeg.restarts).toBe(2);
  });

  it('stop() terminates the group, resolves once it has ended, and restarts nothing', async () => {
    const { ffmpeg, procs, clock } = setup();
    ffmpeg.start();
    let stopped = false;
    const stopping = ffmpeg.stop().then(() => (stopped = true));
    expect(procs[0]!.signals).toEqual(['SIGTERM']);
    expect(ffmpeg.running).toBe(false);
    await settle();
    expect(stopped).toBe(false);

    procs[0]!.exit(null, 'SIGTERM');
    await stopping;
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(60_000);
    expect(procs).toHaveLength(1);
  });

  it('stop() during back-off cancels the restart and resolves at once', async () => {
    const { ffmpeg, procs, clock } = setup();
    ffmpeg.start();
    procs[0]!.exit(1);
    await ffmpeg.stop();
    clock.advance(60_000);
    expect(procs).toHaveLength(1);
    expect(procs[0]!.signals).toEqual([]);
  });

  it('start() after stop() runs a new ffmpeg at once, and a later stop() waits for both', async () => {
    const { ffmpeg, procs, clock, output } = setup();
    ffmpeg.start();
    procs[0]!.exit(1);
    clock.advance(100); // one failure: the back-off exponent is now 1
    expect(procs).toHaveLength(2);
    void ffmpeg.stop(); // resets the back-off
    ffmpeg.start();
    expect(procs).toHaveLength(3);
    expect(ffmpeg.running).toBe(true);

    // The old run dies late: ignored, nothing restarted on its account.
    procs[1]!.write('old');
    procs[1]!.exit(null, 'SIGTERM');
    expect(output).toEqual([]);
    expect(ffmpeg.running).toBe(true);
    expect(clock.pendingTimers()).toBe(1); // the new run's watchdog

    procs[2]!.exit(1);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(100); // back-off started over
    expect(procs).toHaveLength(4);

    void ffmpeg.stop();
    ffmpeg.start();
    let stopped = false;
    const stopping = ffmpeg.stop().then(() => (stopped = true));
    expect(procs[3]!.signals).toEqual(['SIGTERM']);
    expect(procs[4]!.signals).toEqual(['SIGTERM']);
    procs[4]!.exit(null, 'SIGTERM');
    await settle();
    expect(stopped).toBe(false);
    clock.advance(500);
    expect(procs[3]!.signals).toEqual(['SIGTERM', 'SIGKILL']);
    procs[3]!.exit(null, 'SIGKILL');
    await stopping;
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a finite input that exits 0 on its own is finished, not restarted; start() plays it again', () => {
    const { ffmpeg, procs, events, clock } = setup({ finite: true });
    ffmpeg.start();
    procs[0]!.exit(0);
    expect(events).toEqual(['runStart', 'finished']);
    expect(ffmpeg.running).toBe(false);
    clock.advance(60_000);
    expect(procs).toHaveLength(1);
    ffmpeg.start();
    expect(procs).toHaveLength(2);
  });

  it('a finite input that fails, or is killed by the watchdog, is restarted', () => {
    const { ffmpeg, procs, events, clock } = setup({ finite: true });
    ffmpeg.start();
    procs[0]!.exit(1);
    clock.advance(100);
    expect(procs).toHaveLength(2);
    clock.advance(2_000);
    procs[1]!.exit(0); // ffmpeg exits 0 on SIGTERM
    expect(events).toEqual(['runStart', 'backoff', 'runStart', 'stall', 'backoff']);
  });

  it('an input that is not finite is restarted after exiting 0', () => {
    const { ffmpeg, procs, clock } = setup();
    ffmpeg.start();
    procs[0]!.exit(0);
    clock.advance(100);
    expect(procs).toHaveLength(2);
  });
});
