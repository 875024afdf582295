import { parseArgs } from 'node:util';
import { LcusDriver } from '../barrier/lcus-driver.js';
import type { BarrierDriver, BarrierStatus } from '../barrier/types.js';
import { sleep, systemClock } from '../core/clock.js';
import { createLogger, silentLogger } from '../core/log.js';

const USAGE =
  'usage: smartgate barrier --driver lcus|modbus --device PATH [--address N] [--channel N] [--baud N] [--pulse-ms N] [--verbose] open|status';

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
  if (values.driver === 'lcus' && values.address !== undefined) throw new UsageError('--address is for --driver modbus; LCUS boards have none');
  const modbus = values.driver === 'modbus';
  return {
    driver: values.driver,
    device: values.device,
    address: wholeNumber('address', values.address, 1, 1, 247),
    // LCUS channels count from 1; Modbus coils from 0.
    channel: wholeNumber('channel', values.channel, modbus ? 0 : 1, modbus ? 0 : 1, modbus ? 255 : 8),
    baud: wholeNumber('baud', values.baud, 9600, 1200, 115200),
    pulseMs: wholeNumber('pulse-ms', values['pulse-ms'], 500, 50, 10_000),
    verbose: values.verbose ?? false,
    action: positionals[0] as 'open' | 'status',
  };
}

function describeStatus(s: BarrierStatus): string {
  const inputs = s.inputs
    ? Object.entries(s.inputs)
        .map(([k, v]) => `${k}=${v ? 'on' : 'off'}`)
        .join(' ')
    : 'none wired';
  return `state: ${s.state}\ninputs: ${inputs}\nport: ${s.portOpen ? 'open' : 'not open'}${s.lastError ? `\nerror: ${s.lastError}` : ''}\n`;
}

function makeDriver(o: Options): BarrierDriver {
  const log = o.verbose ? createLogger('debug') : silentLogger;
  if (o.driver === 'lcus') {
    return new LcusDriver({ device: o.device, baudRate: o.baud, channel: o.channel, pulseMs: o.pulseMs, clock: systemClock, log });
  }
  throw new UsageError('--driver modbus is not available yet');
}

/**
 * `smartgate barrier`: the installer's wiring test, without the daemon. Opens the port, sends
 * one open pulse (or only reads the status), prints the bytes sent and the status.
 * Exit 0 done, 1 the barrier or port failed, 2 bad options.
 */
export async function barrierCommand(args: string[]): Promise<number> {
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
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
    if (options.action === 'open') {
      const result = await driver.open(systemClock.monotonic() + COMMAND_DEADLINE_MS);
      for (const frame of result.sent) process.stdout.write(`sent: ${frame}\n`);
      if (!result.ok) {
        process.stderr.write(`smartgate barrier: open failed (${result.reason}): ${result.error}\n`);
        code = 1;
      }
    }
    const status = driver.status();
    process.stdout.write(describeStatus(status));
    return status.state === 'fault' ? 1 : code;
  } finally {
    await driver.stop();
  }
}
