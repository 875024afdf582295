import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LcusDriver } from '../../src/barrier/lcus-driver.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { builtCli } from '../helpers/demo-clip.js';
import { waitFor } from '../helpers/processes.js';
import { PtyPair } from '../helpers/pty-pair.js';
import { SerialTap } from '../helpers/serial-tap.js';

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
    const run = await runCli(['barrier', '--driver', 'lcus', '--device', pty.a, '--channel', '1', '--pulse-ms', '100', 'open']);
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
    [['--driver', 'lcus', 'open'], /--device is required/],
    [['--driver', 'relay', '--device', '/dev/x', 'open'], /--driver must be lcus or modbus, got "relay"/],
    [['--driver', 'lcus', '--device', '/dev/x', '--channel', '9', 'open'], /--channel must be a whole number 1..8, got "9"/],
    [['--driver', 'lcus', '--device', '/dev/x', 'close'], /expected one action, open or status, got "close"/],
    [['--driver', 'lcus', '--device', '/dev/x', '--address', '2', 'open'], /--address is for --driver modbus/],
  ])('bad options %j exit 2', async (args, message) => {
    const run = await runCli(['barrier', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('a missing device exits 1 and names it', async () => {
    const run = await runCli(['barrier', '--driver', 'lcus', '--device', join(dir, 'nothing'), 'open']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`could not open ${join(dir, 'nothing')}`);
  });
});

describe('LcusDriver on a PTY', () => {
  it('socat killed: fault; a command meanwhile is dropped; a new pair at the same path: reopened, nothing sent', async () => {
    const driver = new LcusDriver({ device: pty.a, baudRate: 9600, channel: 1, pulseMs: 100, clock: systemClock, log: silentLogger });
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
