import { parseArgs } from 'node:util';
import { LcusDriver } from '../barrier/lcus-driver.js';
import { ModbusRelayDriver, type InputMapping } from '../barrier/modbus-driver.js';
import type { BarrierDriver, BarrierStatus } from '../barrier/types.js';
import { sleep, systemClock } from '../core/clock.js';
import { createLogger, silentLogger } from '../core/log.js';
import { helpRequested, printUsage } from './usage.js';

const USAGE = `usage: smartgate barrier --driver lcus|modbus --device PATH [options] open|status
  --address N          Modbus address of the relay board, 1..247 (default 1; modbus only)
  --channel N          relay wired to the controller's open input: LCUS 1..8 (default 1), Modbus coil 0..255 (default 0)
  --baud N             serial speed (default 9600)
  --pulse-ms N         how long the contact is closed (default 500)
  --mode pulse|flash   Modbus: coil on/off, or the board's timed flash (default pulse)
  --open-limit N       Modbus: discrete input of the open limit, if wired (0-based)
  --closed-limit N     Modbus: discrete input of the closed limit, if wired
  --loop N             Modbus: discrete input of the loop detector, if wired
  --open-timeout-ms N  Modbus with --open-limit: wait this long for it (default 10000)
  --verbose            log to stderr`;

/** How long the port has to open, and the deadline of the one open command. */
const PORT_WAIT_MS = 3000;
const COMMAND_DEADLINE_MS = 2000;

class UsageError extends Error {}

interface Options {
  driver: 'lcus' | 'modbus';
  device: string;
  address: number;
  channel: number;
  baud: number;
  pulseMs: number;
  mode: 'pulse' | 'flash';
  inputs: InputMapping;
  openTimeoutMs: number;
  verbose: boolean;
  action: 'open' | 'status';
}

function wholeNumber(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be a whole number ${min}..${max}, got "${value}"`);
  return n;
}

export function parseBarrierArgs(args: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        driver: { type: 'string' },
        device: { type: 'string' },
        address: { type: 'string' },
        channel: { type: 'string' },
        baud: { type: 'string' },
        'pulse-ms': { type: 'string' },
        mode: { type: 'string' },
        'open-limit': { type: 'string' },
        'closed-limit': { type: 'string' },
        loop: { type: 'string' },
        'open-timeout-ms': { type: 'string' },
        verbose: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.driver !== 'lcus' && values.driver !== 'modbus') {
    throw new UsageError(values.driver === undefined ? '--driver is required (lcus or modbus)' : `--driver must be lcus or modbus, got "${values.driver}"`);
  }
  if (!values.device) throw new UsageError('--device is required (e.g. /dev/serial/by-id/usb-...)');
  if (positionals.length !== 1 || (positionals[0] !== 'open' && positionals[0] !== 'status')) {
    throw new UsageError(`expected one action, open or status, got ${positionals.length ? `"${positionals.join(' ')}"` : 'none'}`);
  }
  const modbus = values.driver === 'modbus';
  if (!modbus) {
    for (const name of ['address', 'mode', 'open-limit', 'closed-limit', 'loop', 'open-timeout-ms'] as const) {
      if (values[name] !== undefined) throw new UsageError(`--${name} is for --driver modbus only`);
    }
  }
  if (values.mode !== undefined && values.mode !== 'pulse' && values.mode !== 'flash') {
    throw new UsageError(`--mode must be pulse or flash, got "${values.mode}"`);
  }
  const input = (name: 'open-limit' | 'closed-limit' | 'loop') =>
    values[name] === undefined ? undefined : wholeNumber(name, values[name], 0, 0, 255);
  return {
    driver: values.driver,
    device: values.device,
    address: wholeNumber('address', values.address, 1, 1, 247),
    // LCUS channels count from 1; Modbus coils from 0.
    channel: wholeNumber('channel', values.channel, modbus ? 0 : 1, modbus ? 0 : 1, modbus ? 255 : 8),
    baud: wholeNumber('baud', values.baud, 9600, 1200, 115200),
    pulseMs: wholeNumber('pulse-ms', values['pulse-ms'], 500, 50, 10_000),
    mode: values.mode === 'flash' ? 'flash' : 'pulse',
    inputs: { openLimit: input('open-limit'), closedLimit: input('closed-limit'), loop: input('loop') },
    openTimeoutMs: wholeNumber('open-timeout-ms', values['open-timeout-ms'], 10_000, 100, 120_000),
    verbose: values.verbose ?? false,
    action: positionals[0] as 'open' | 'status',
  };
}

function describeStatus(s: BarrierStatus, wired: boolean): string {
  const inputs = s.inputs
    ? Object.entries(s.inputs)
        .map(([k, v]) => `${k}=${v ? 'on' : 'off'}`)
        .join(' ')
    : wired
      ? 'not read'
      : 'none wired';
  return `state: ${s.state}\ninputs: ${inputs}\nport: ${s.portOpen ? 'open' : 'not open'}${s.lastError ? `\nerror: ${s.lastError}` : ''}\n`;
}

function makeDriver(o: Options): BarrierDriver {
  const log = o.verbose ? createLogger('debug') : silentLogger;
  if (o.driver === 'lcus') {
    return new LcusDriver({ device: o.device, baudRate: o.baud, channel: o.channel, pulseMs: o.pulseMs, clock: systemClock, log });
  }
  return new ModbusRelayDriver({
    device: o.device,
    baudRate: o.baud,
    address: o.address,
    coil: o.channel,
    mode: o.mode,
    pulseMs: o.pulseMs,
    openTimeoutMs: o.openTimeoutMs,
    inputs: o.inputs,
    pollMs: 200,
    responseTimeoutMs: 500,
    clock: systemClock,
    log,
  });
}

/**
 * `smartgate barrier`: the installer's wiring test, without the daemon. Opens the port, sends
 * one open pulse (or only reads the status), prints the bytes sent and the status.
 * Exit 0 done, 1 the barrier or port failed, 2 bad options.
 */
export async function barrierCommand(args: string[]): Promise<number> {
  if (helpRequested(args)) return printUsage(USAGE);
  let options: Options;
  let driver: BarrierDriver;
  try {
    options = parseBarrierArgs(args);
    driver = makeDriver(options);
  } catch (err) {
    if (!(err instanceof UsageError || err instanceof RangeError)) throw err;
    process.stderr.write(`smartgate barrier: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  await driver.start();
  try {
    const waitUntil = systemClock.monotonic() + PORT_WAIT_MS;
    // The first attempt either opens the port or says why not (missing, busy, no permission).
    while (!driver.status().portOpen && !driver.status().lastError && systemClock.monotonic() < waitUntil) await sleep(systemClock, 20);
    if (!driver.status().portOpen) {
      process.stderr.write(`smartgate barrier: could not open ${options.device}: ${driver.status().lastError ?? 'timed out'}\n`);
      return 1;
    }
    let code = 0;
    if (driver instanceof ModbusRelayDriver) await driver.refresh(); // the inputs as they are now
    if (options.action === 'open') {
      const result = await driver.open(systemClock.monotonic() + COMMAND_DEADLINE_MS);
      for (const frame of result.sent) process.stdout.write(`sent: ${frame}\n`);
      if (!result.ok) {
        process.stderr.write(`smartgate barrier: open failed (${result.reason}): ${result.error}\n`);
        code = 1;
      }
    }
    const status = driver.status();
    process.stdout.write(describeStatus(status, Object.values(options.inputs).some((n) => n !== undefined)));
    return status.state === 'fault' ? 1 : code;
  } finally {
    await driver.stop();
  }
}
