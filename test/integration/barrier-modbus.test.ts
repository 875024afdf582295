import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hex } from '../../src/barrier/lcus.js';
import { ModbusRelayDriver, type ModbusDriverOptions } from '../../src/barrier/modbus-driver.js';
import { ModbusRelaySimulator } from '../../src/barrier/modbus-simulator.js';
import { ModbusSimulatorPort } from '../helpers/modbus-simulator-port.js';
import type { BarrierStatus } from '../../src/barrier/types.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { builtCli } from '../helpers/demo-clip.js';
import { waitFor } from '../helpers/processes.js';
import { PtyPair } from '../helpers/pty-pair.js';

// The Modbus driver on one end of a real socat PTY pair, the simulated relay board on the other.
const TIMINGS = { openMs: 300, holdOpenMs: 800, closeMs: 300 };

let dir: string;
let pty: PtyPair;
let simPort: ModbusSimulatorPort;
let driver: ModbusRelayDriver | null;

async function farEnd(): Promise<ModbusRelaySimulator> {
  const sim = new ModbusRelaySimulator({ clock: systemClock, timings: TIMINGS });
  simPort = new ModbusSimulatorPort(pty.b, sim, silentLogger);
  await simPort.start();
  return sim;
}

function makeDriver(overrides: Partial<ModbusDriverOptions> = {}): ModbusRelayDriver {
  driver = new ModbusRelayDriver({
    device: pty.a,
    baudRate: 9600,
    address: 1,
    coil: 0,
    mode: 'pulse',
    pulseMs: 100,
    openTimeoutMs: 2000,
    inputs: { openLimit: 0, closedLimit: 1, loop: 2 },
    pollMs: 50,
    responseTimeoutMs: 300,
    clock: systemClock,
    log: silentLogger,
    ...overrides,
  });
  return driver;
}

/** Plug back in after pty.unplug(): a new pair at the same paths, the board on the far end. */
async function replug(): Promise<ModbusRelaySimulator> {
  pty = new PtyPair(dir);
  await pty.start();
  return farEnd();
}

/** Plug `sim` back in: the same board, which kept its own power (and its relays as they were). */
async function replugBoard(sim: ModbusRelaySimulator): Promise<void> {
  pty = new PtyPair(dir);
  await pty.start();
  simPort = new ModbusSimulatorPort(pty.b, sim, silentLogger);
  await simPort.start();
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartgate-modbus-'));
  pty = new PtyPair(dir);
  await pty.start();
  driver = null;
});

afterEach(async () => {
  await driver?.stop();
  await simPort.stop();
  await pty.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('ModbusRelayDriver against the simulator on a PTY', () => {
  it('open → open limit → open → auto-close → closed', async () => {
    const sim = await farEnd();
    const states: string[] = [];
    const d = makeDriver({ onStatus: (s: BarrierStatus) => states.push(s.state) });
    await d.start();
    await waitFor(() => d.status().state === 'closed', 3000, 'closed limit read');
    const result = await d.open(systemClock.monotonic() + 1000);
    expect(result).toEqual({ ok: true, sent: ['01 05 00 00 FF 00 8C 3A', '01 05 00 00 00 00 CD CA'], confirmed: true });
    expect(d.status()).toMatchObject({ state: 'open', inputs: { openLimit: true, closedLimit: false, loop: false } });
    await waitFor(() => d.status().state === 'closed', 3000, 'auto-close to the closed limit');
    expect(states).toContain('opening');
    expect(sim.writes().map((w) => hex(w))).toEqual(['01 05 00 00 FF 00 8C 3A', '01 05 00 00 00 00 CD CA']);
  });

  it('the loop on the simulator holds the boom open', async () => {
    const sim = await farEnd();
    const d = makeDriver({ mode: 'flash', pulseMs: 200 });
    await d.start();
    await waitFor(() => d.status().state === 'closed', 3000, 'closed');
    sim.setLoop(true);
    expect((await d.open(systemClock.monotonic() + 1000)).ok).toBe(true);
    await new Promise((r) => setTimeout(r, TIMINGS.holdOpenMs + 300));
    expect(d.status()).toMatchObject({ state: 'open', inputs: { loop: true } });
    sim.setLoop(false);
    await waitFor(() => d.status().state === 'closed', 3000, 'closed after the loop cleared');
  });

  it('socat killed mid-command: fault; after a new pair at the same path, reopened, the owed coil-off sent and never a coil-on', async () => {
    const sim = await farEnd();
    const d = makeDriver({ pulseMs: 1000 });
    await d.start();
    await waitFor(() => d.status().state === 'closed', 3000, 'closed');
    const pending = d.open(systemClock.monotonic() + 1000);
    await waitFor(() => sim.writes().length === 1, 3000, 'the coil-on at the board');
    await simPort.stop();
    await pty.unplug();
    const result = await pending;
    expect(result).toMatchObject({ ok: false, reason: 'port-closed', sent: ['01 05 00 00 FF 00 8C 3A'] });
    expect(d.status()).toMatchObject({ state: 'fault', portOpen: false });

    const sim2 = await replug();
    await waitFor(() => d.status().portOpen && d.status().state === 'closed', 10_000, 'reopened, inputs read');
    await new Promise((r) => setTimeout(r, 1500));
    expect(sim2.requests.length).toBeGreaterThan(0); // it polls the inputs ...
    // ... releases the contact the lost pulse left closed, and never writes a coil-on by itself.
    expect(sim2.writes().map((w) => hex(w))).toEqual(['01 05 00 00 00 00 CD CA']);
    expect(sim2.boom.position).toBe('closed');
  });

  it(
    'port gone after the coil-on reached the board, before its answer: maybe sent, a fault, and the coil-off arrives after the replug',
    { timeout: 20_000 },
    async () => {
      const sim = await farEnd();
      // The board acts on the coil-on; its answer is lost with the cable.
      const handle = sim.handle.bind(sim);
      sim.handle = (frame) => {
        const answer = handle(frame);
        return frame[1] === 0x05 ? null : answer;
      };
      // Long enough that the unplug, not the timeout, ends the wait for the answer.
      const d = makeDriver({ pulseMs: 1000, responseTimeoutMs: 3000 });
      await d.start();
      await waitFor(() => d.status().state === 'closed', 3000, 'closed');
      const pending = d.open(systemClock.monotonic() + 1000);
      await waitFor(() => sim.writes().length === 1, 3000, 'the coil-on at the board');
      expect(sim.relays[0]).toBe(true);
      await simPort.stop();
      await pty.unplug();
      const result = await pending;
      expect(result).toMatchObject({ ok: false, reason: 'error', sent: ['01 05 00 00 FF 00 8C 3A'] });
      expect(d.status()).toMatchObject({
        state: 'fault',
        portOpen: false,
        lastError: expect.stringContaining('coil 0 may be held on'),
      });

      sim.handle = handle;
      const before = sim.writes().length;
      await replugBoard(sim);
      await waitFor(() => sim.relays[0] === false, 10_000, 'the owed coil-off at the board');
      await waitFor(() => d.status().portOpen && d.status().state !== 'fault', 5000, 'the fault cleared once released');
      await new Promise((r) => setTimeout(r, 1000));
      // Exactly the release: never a coil-on by itself.
      expect(
        sim
          .writes()
          .slice(before)
          .map((w) => hex(w)),
      ).toEqual(['01 05 00 00 00 00 CD CA']);
    },
  );

  it('a command whose deadline passed while the port was down is dropped, not sent later', async () => {
    await farEnd();
    const d = makeDriver();
    await d.start();
    await waitFor(() => d.status().state === 'closed', 3000, 'closed');
    await simPort.stop();
    await pty.unplug();
    await waitFor(() => d.status().state === 'fault', 3000, 'fault');
    const stale = await d.open(systemClock.monotonic() + 300);
    expect(stale).toMatchObject({ ok: false, reason: 'port-closed', sent: [] });
    await new Promise((r) => setTimeout(r, 400)); // the deadline passes while the port is down
    const sim2 = await replug();
    await waitFor(() => d.status().state === 'closed', 10_000, 'reopened');
    expect(await d.open(systemClock.monotonic() - 1)).toMatchObject({ ok: false, reason: 'deadline', sent: [] });
    await new Promise((r) => setTimeout(r, 500));
    expect(sim2.writes()).toEqual([]);
  });
});

describe('smartgate barrier --driver modbus', () => {
  function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [builtCli(), ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
        const code = err ? ((err as { code?: unknown }).code ?? null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
      });
    });
  }
  const wiring = ['--open-limit', '0', '--closed-limit', '1', '--loop', '2'];

  it('open drives the simulator and waits for the open limit', async () => {
    const sim = await farEnd();
    const run = await runCli([
      'barrier',
      '--driver',
      'modbus',
      '--device',
      pty.a,
      '--address',
      '1',
      '--channel',
      '0',
      '--pulse-ms',
      '100',
      ...wiring,
      'open',
      '--unrecorded',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('sent: 01 05 00 00 FF 00 8C 3A\nsent: 01 05 00 00 00 00 CD CA\n');
    expect(run.stdout).toContain('state: open\ninputs: openLimit=on closedLimit=off loop=off\n');
    expect(sim.writes()).toHaveLength(2);
  });

  it('status reads the inputs and writes nothing', async () => {
    const sim = await farEnd();
    const run = await runCli(['barrier', '--driver', 'modbus', '--device', pty.a, ...wiring, 'status']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('state: closed\ninputs: openLimit=off closedLimit=on loop=off\nport: open\n');
    expect(sim.writes()).toEqual([]);
  });

  it('a board that does not answer is reported, exit 1', async () => {
    await farEnd();
    const run = await runCli([
      'barrier',
      '--driver',
      'modbus',
      '--device',
      pty.a,
      '--address',
      '7',
      ...wiring,
      'status',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('state: fault');
    expect(run.stdout).toContain('error: Modbus address 7: ');
  });
});
