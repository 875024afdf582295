import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LcusDriver } from '../../src/barrier/lcus-driver.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { openStore } from '../../src/store/store.js';
import { builtCli } from '../helpers/demo-clip.js';
import { waitFor } from '../helpers/processes.js';
import { PtyPair } from '../helpers/pty-pair.js';
import { SerialTap } from '../helpers/serial-tap.js';
import { STORE_DEFAULTS } from '../helpers/store-fixtures.js';

// Real pseudo-terminals from socat; the CLI as the installer runs it.
let dir: string;
let pty: PtyPair;
let tap: SerialTap;

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [builtCli(), ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code ?? null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartgate-lcus-'));
  pty = new PtyPair(dir);
  await pty.start();
  tap = new SerialTap(pty.b);
  await tap.open();
});

afterEach(async () => {
  await tap.close();
  await pty.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('smartgate barrier --driver lcus', () => {
  it('puts A0 01 01 A2, then the off frame, on the wire', async () => {
    const run = await runCli([
      'barrier',
      '--driver',
      'lcus',
      '--device',
      pty.a,
      '--channel',
      '1',
      '--pulse-ms',
      '100',
      'open',
      '--unrecorded',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('sent: A0 01 01 A2\nsent: A0 01 00 A1\n');
    expect(run.stdout).toContain('state: unknown');
    await waitFor(() => tap.bytes.length >= 8, 3000, 'two LCUS frames at the far end');
    expect(tap.hex()).toBe('A0 01 01 A2 A0 01 00 A1');
  });

  it('status sends nothing', async () => {
    const run = await runCli(['barrier', '--driver', 'lcus', '--device', pty.a, 'status']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('state: unknown\ninputs: none wired\nport: open\n');
    await new Promise((r) => setTimeout(r, 200));
    expect(tap.bytes.length).toBe(0);
  });

  it.each([
    [['--driver', 'lcus', 'open', '--unrecorded'], /--device is required/],
    [
      ['--driver', 'relay', '--device', '/dev/x', 'open', '--unrecorded'],
      /--driver must be lcus or modbus, got "relay"/,
    ],
    [
      ['--driver', 'lcus', '--device', '/dev/x', '--channel', '9', 'open', '--unrecorded'],
      /--channel must be a whole number 1..8, got "9"/,
    ],
    [['--driver', 'lcus', '--device', '/dev/x', 'close'], /expected one action, open or status, got "close"/],
    [['--driver', 'lcus', '--device', '/dev/x', '--address', '2', 'status'], /--address is for --driver modbus/],
    [
      ['--driver', 'lcus', '--device', '/dev/x', 'open', '--operator', 'op-1', '--reason', 'testing'],
      /--operator is for --config/,
    ],
    [
      ['--config', '/dev/null', 'open', '--operator', 'op-1', '--reason', 'testing'],
      /--lane is required with --config/,
    ],
    [
      ['--config', '/dev/null', '--lane', 'lane-1', '--device', '/dev/x', 'status'],
      /--device: with --config the lane's barrier is used as configured/,
    ],
    [
      ['--config', '/dev/null', '--lane', 'lane-1', 'open', '--unrecorded'],
      /--unrecorded: with --config an open is always recorded/,
    ],
  ])('bad options %j exit 2', async (args, message) => {
    const run = await runCli(['barrier', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('a missing device exits 1 and names it', async () => {
    const run = await runCli(['barrier', '--driver', 'lcus', '--device', join(dir, 'nothing'), 'open', '--unrecorded']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`could not open ${join(dir, 'nothing')}`);
  });
});

describe('smartgate barrier open leaves a record, or does nothing', () => {
  /** The daemon's config: one lane whose LCUS board is on the PTY. */
  async function daemonConfig(): Promise<{ path: string; dataDir: string }> {
    const dataDir = join(dir, 'data');
    const path = join(dir, 'smartgate.yaml');
    const config = {
      site: { id: 'mlt-kth', name: 'Ma Lù Thàng' },
      dataDir,
      lanes: [
        {
          id: 'lane-1',
          direction: 'entry',
          camera: { url: 'rtsp://127.0.0.1:9/none' },
          barrier: { driver: 'lcus', device: pty.a, channel: 1, pulseMs: 100 },
        },
      ],
    };
    await writeFile(path, JSON.stringify(config));
    return { path, dataDir };
  }
  const openStoreAt = (dataDir: string) =>
    openStore({ clock: systemClock, log: silentLogger }, { dataDir, siteId: 'mlt-kth', config: STORE_DEFAULTS });
  const quiet = () => new Promise((r) => setTimeout(r, 300));

  it('without --config nor --unrecorded an open is refused (exit 2), and nothing goes on the wire', async () => {
    const run = await runCli(['barrier', '--driver', 'lcus', '--device', pty.a, 'open']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'open needs --config FILE --lane ID --operator NAME --reason TEXT, which records it in the store, or --unrecorded',
    );
    await quiet();
    expect(tap.bytes.length).toBe(0);
  });

  it("with --config: the lane's barrier opens, and the operator's action, the request and the result are in the store for central", async () => {
    const { path, dataDir } = await daemonConfig();
    const run = await runCli([
      'barrier',
      '--config',
      path,
      '--lane',
      'lane-1',
      'open',
      '--operator',
      'tran.thi.b',
      '--reason',
      'barrier replaced: wiring check',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^sent: A0 01 01 A2\nsent: A0 01 00 A1\nrecorded: operator\.action \w{26}, barrier\.actuation \w{26} then \w{26}\nstate: unknown\n/,
    );
    await waitFor(() => tap.bytes.length >= 8, 3000, 'two LCUS frames at the far end');
    expect(tap.hex()).toBe('A0 01 01 A2 A0 01 00 A1');

    const store = openStoreAt(dataDir);
    try {
      const events = store.events.pending(100).map((e) => e.event);
      expect(events.map((e) => [e.type, e.laneId, e.siteId])).toEqual([
        ['operator.action', 'lane-1', 'mlt-kth'],
        ['barrier.actuation', 'lane-1', 'mlt-kth'],
        ['barrier.actuation', 'lane-1', 'mlt-kth'],
      ]);
      const [action, requested, result] = events;
      expect(action!.payload).toEqual({
        action: 'manual-open',
        holdId: null,
        plate: null,
        holdReason: null,
        operator: 'tran.thi.b',
        reason: 'barrier replaced: wiring check',
        source: 'cli',
      });
      expect(requested!.payload).toMatchObject({
        phase: 'requested',
        cause: 'manual-open',
        driver: 'lcus',
        deadlineMs: 2000,
        source: 'cli',
      });
      expect(result!.payload).toMatchObject({
        phase: 'result',
        requestId: requested!.eventId,
        ok: true,
        outcome: 'sent',
        sent: ['A0 01 01 A2', 'A0 01 00 A1'],
      });
      expect(run.stdout).toContain(
        `operator.action ${action!.eventId}, barrier.actuation ${requested!.eventId} then ${result!.eventId}`,
      );
    } finally {
      store.close();
    }
  });

  it('with --config while the daemon holds its store: refused (exit 1), nothing on the wire, nothing recorded', async () => {
    const { path, dataDir } = await daemonConfig();
    const daemonStore = openStoreAt(dataDir); // the running daemon's lock
    try {
      const run = await runCli([
        'barrier',
        '--config',
        path,
        '--lane',
        'lane-1',
        'open',
        '--operator',
        'tran.thi.b',
        '--reason',
        'wiring check',
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        "is locked, most likely by the running daemon, which owns lane lane-1's barrier while it runs: open it from the operators' page or with central's barrier.open command",
      );
      expect(run.stdout).toBe('');
      await quiet();
      expect(tap.bytes.length).toBe(0);
      expect(daemonStore.events.pendingCount()).toBe(0);
    } finally {
      daemonStore.close();
    }
  });

  it('with --config: open needs who and why; status reads without the store and sends nothing', async () => {
    const { path, dataDir } = await daemonConfig();
    const noReason = await runCli([
      'barrier',
      '--config',
      path,
      '--lane',
      'lane-1',
      'open',
      '--operator',
      'tran.thi.b',
    ]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--reason is required to open');
    const unknownLane = await runCli(['barrier', '--config', path, '--lane', 'lane-9', 'status']);
    expect(unknownLane.code).toBe(2);
    expect(unknownLane.stderr).toContain('--lane: no lane "lane-9"');
    const daemonStore = openStoreAt(dataDir);
    try {
      const status = await runCli(['barrier', '--config', path, '--lane', 'lane-1', 'status']);
      expect(status.code).toBe(0);
      expect(status.stdout).toBe('state: unknown\ninputs: none wired\nport: open\n');
      expect(daemonStore.events.pendingCount()).toBe(0);
    } finally {
      daemonStore.close();
    }
    await quiet();
    expect(tap.bytes.length).toBe(0);
  });
});

describe('LcusDriver on a PTY', () => {
  it('socat killed: fault; a command meanwhile is dropped; a new pair at the same path: reopened, nothing sent', async () => {
    const driver = new LcusDriver({
      device: pty.a,
      baudRate: 9600,
      channel: 1,
      pulseMs: 100,
      clock: systemClock,
      log: silentLogger,
    });
    await driver.start();
    try {
      await waitFor(() => driver.status().portOpen, 3000, 'port open');
      await tap.close();
      await pty.unplug();
      await waitFor(() => driver.status().state === 'fault', 3000, 'fault after socat was killed');
      expect(driver.status().portOpen).toBe(false);
      const stale = await driver.open(systemClock.monotonic() + 300);
      expect(stale).toMatchObject({ ok: false, reason: 'port-closed', sent: [] });

      pty = new PtyPair(dir);
      await pty.start();
      tap = new SerialTap(pty.b);
      await tap.open();
      await waitFor(() => driver.status().portOpen, 8000, 'port reopened at the same path');
      expect(driver.status().state).toBe('unknown');
      await new Promise((r) => setTimeout(r, 500));
      expect(tap.bytes.length).toBe(0);
    } finally {
      await driver.stop();
    }
  });
});
