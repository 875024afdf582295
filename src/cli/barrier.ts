import { parseArgs } from 'node:util';
import { createBarrier } from '../barrier/factory.js';
import { LcusDriver } from '../barrier/lcus-driver.js';
import { ModbusRelayDriver, type InputMapping } from '../barrier/modbus-driver.js';
import type { BarrierDriver, BarrierStatus } from '../barrier/types.js';
import { sleep, systemClock } from '../core/clock.js';
import { createLogger, silentLogger, type Logger } from '../core/log.js';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { CliOpenRecord, OpenNotRecordable, type CliOperator } from './barrier-record.js';
import { helpRequested, printUsage } from './usage.js';

const USAGE = `usage: smartgate barrier --config FILE --lane ID status | open --operator NAME --reason TEXT
       smartgate barrier --driver lcus|modbus --device PATH [options] status | open --unrecorded
  --config FILE        the daemon's config: the lane's barrier as configured; an open is recorded
                       in its store (refused while the daemon runs: it owns the port)
  --lane ID            the lane, with --config
  --operator NAME      who opens (recorded), with --config
  --reason TEXT        why, at least 3 characters (recorded), with --config
  --unrecorded         without --config: open although nothing records it (a wiring test
                       before the gate runs)
  --driver lcus|modbus the board, without --config
  --device PATH        its serial device, without --config
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

/** How long the port has to open, and the deadline of the one open command (without --config). */
const PORT_WAIT_MS = 3000;
const COMMAND_DEADLINE_MS = 2000;

class UsageError extends Error {}

/** A board named on the command line. */
interface DeviceOptions {
  driver: 'lcus' | 'modbus';
  device: string;
  address: number;
  channel: number;
  baud: number;
  pulseMs: number;
  mode: 'pulse' | 'flash';
  inputs: InputMapping;
  openTimeoutMs: number;
}

interface Options {
  /** The lane's barrier from the daemon's config, or a board named on the command line. */
  barrier: { lane: { config: string; id: string } } | { device: DeviceOptions };
  /** With --config, open only: who and why, recorded. */
  operator: CliOperator | null;
  verbose: boolean;
  action: 'open' | 'status';
}

const SERIAL_OPTIONS = [
  'driver',
  'device',
  'address',
  'channel',
  'baud',
  'pulse-ms',
  'mode',
  'open-limit',
  'closed-limit',
  'loop',
  'open-timeout-ms',
] as const;

function wholeNumber(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number ${min}..${max}, got "${value}"`);
  return n;
}

export function parseBarrierArgs(args: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        lane: { type: 'string' },
        operator: { type: 'string' },
        reason: { type: 'string' },
        unrecorded: { type: 'boolean' },
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
  if (positionals.length !== 1 || (positionals[0] !== 'open' && positionals[0] !== 'status')) {
    throw new UsageError(
      `expected one action, open or status, got ${positionals.length ? `"${positionals.join(' ')}"` : 'none'}`,
    );
  }
  const action: Options['action'] = positionals[0];
  const common = { verbose: values.verbose ?? false, action };
  if (values.config !== undefined) {
    for (const name of SERIAL_OPTIONS) {
      if (values[name] !== undefined)
        throw new UsageError(`--${name}: with --config the lane's barrier is used as configured`);
    }
    if (values.unrecorded) throw new UsageError('--unrecorded: with --config an open is always recorded');
    if (!values.lane) throw new UsageError('--lane is required with --config (the lane whose barrier to use)');
    return {
      ...common,
      barrier: { lane: { config: values.config, id: values.lane } },
      operator: action === 'open' ? operatorOf(values.operator, values.reason) : noOperator(values),
    };
  }
  for (const name of ['lane', 'operator', 'reason'] as const) {
    if (values[name] !== undefined)
      throw new UsageError(`--${name} is for --config (only an open on a configured lane is recorded)`);
  }
  if (action === 'open' && !values.unrecorded) {
    throw new UsageError(
      'open needs --config FILE --lane ID --operator NAME --reason TEXT, which records it in the store, or --unrecorded for a wiring test before the gate runs',
    );
  }
  if (action === 'status' && values.unrecorded) throw new UsageError('--unrecorded is for open (status sends nothing)');
  return { ...common, barrier: { device: parseDevice(values) }, operator: null };
}

function operatorOf(operator: string | undefined, reason: string | undefined): CliOperator {
  const who = operator?.trim() ?? '';
  const why = reason?.trim() ?? '';
  if (!who || who.length > 64)
    throw new UsageError(
      operator === undefined
        ? '--operator is required to open (who opens: recorded)'
        : '--operator must be 1..64 characters',
    );
  if (why.length < 3 || why.length > 500)
    throw new UsageError(
      reason === undefined ? '--reason is required to open (why: recorded)' : '--reason must be 3..500 characters',
    );
  return { operator: who, reason: why };
}

function noOperator(values: { operator?: string; reason?: string }): null {
  if (values.operator !== undefined || values.reason !== undefined)
    throw new UsageError('--operator and --reason are for open');
  return null;
}

function parseDevice(values: Partial<Record<(typeof SERIAL_OPTIONS)[number], string>>): DeviceOptions {
  if (values.driver !== 'lcus' && values.driver !== 'modbus') {
    throw new UsageError(
      values.driver === undefined
        ? '--driver is required (lcus or modbus), or --config FILE --lane ID'
        : `--driver must be lcus or modbus, got "${values.driver}"`,
    );
  }
  if (!values.device) throw new UsageError('--device is required (e.g. /dev/serial/by-id/usb-...)');
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

function deviceDriver(o: DeviceOptions, log: Logger): BarrierDriver {
  if (o.driver === 'lcus') {
    return new LcusDriver({
      device: o.device,
      baudRate: o.baud,
      channel: o.channel,
      pulseMs: o.pulseMs,
      clock: systemClock,
      log,
    });
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

/** What the command acts on: the driver, and for a configured lane, where its open is recorded. */
interface Target {
  driver: BarrierDriver;
  device: string;
  /** Whether any input is wired (for the status line). */
  wired: boolean;
  deadlineMs: number;
  /** The lane's config, when the barrier is a configured lane's. */
  config: Config | null;
  laneId: string | null;
}

/** Builds the target; a problem with the config or the lane is a UsageError (exit 2). */
async function resolveTarget(o: Options, log: Logger): Promise<Target> {
  if ('device' in o.barrier) {
    const d = o.barrier.device;
    return {
      driver: deviceDriver(d, log),
      device: d.device,
      wired: Object.values(d.inputs).some((n) => n !== undefined),
      deadlineMs: COMMAND_DEADLINE_MS,
      config: null,
      laneId: null,
    };
  }
  const { config: path, id } = o.barrier.lane;
  let config: Config;
  try {
    config = await loadConfig(path);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`--config: ${err.message}`);
    throw err;
  }
  const lane = config.lanes.find((l) => l.id === id);
  if (!lane)
    throw new UsageError(`--lane: no lane "${id}" in ${path}; lanes: ${config.lanes.map((l) => l.id).join(', ')}`);
  const { barrier } = lane;
  if (barrier.driver !== 'lcus' && barrier.driver !== 'modbus') {
    throw new UsageError(
      `--lane: lane ${id}'s barrier is driver ${barrier.driver}: ${barrier.driver === 'none' ? 'nothing to drive' : 'a simulated board lives in the daemon'}`,
    );
  }
  const driver = createBarrier(barrier, { clock: systemClock, log })!.driver;
  const wired = barrier.driver === 'modbus' && Object.values(barrier.inputs).some((n) => n !== undefined);
  return { driver, device: barrier.device!, wired, deadlineMs: barrier.commandDeadlineMs, config, laneId: id };
}

/**
 * `smartgate barrier`: the installer's wiring test, without the daemon. Opens the port, sends
 * one open pulse (or only reads the status), prints the bytes sent and the status. An open of a
 * configured lane's barrier is recorded in the daemon's store (CliOpenRecord), and refused
 * while the daemon runs; without a config an open needs --unrecorded.
 * Exit 0 done, 1 the barrier or port failed or the open was refused, 2 bad options or config.
 */
export async function barrierCommand(args: string[]): Promise<number> {
  if (helpRequested(args)) return printUsage(USAGE);
  let options: Options;
  let target: Target;
  try {
    options = parseBarrierArgs(args);
    target = await resolveTarget(options, options.verbose ? createLogger('debug') : silentLogger);
  } catch (err) {
    if (!(err instanceof UsageError || err instanceof RangeError)) throw err;
    process.stderr.write(`smartgate barrier: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  // Before the port: an open that cannot be recorded is not attempted.
  let record: CliOpenRecord | null = null;
  if (options.action === 'open' && target.config) {
    try {
      record = CliOpenRecord.open({ clock: systemClock, log: silentLogger }, target.config, target.laneId!);
    } catch (err) {
      if (!(err instanceof OpenNotRecordable)) throw err;
      process.stderr.write(`smartgate barrier: ${err.message}\n`);
      return 1;
    }
  }
  const { driver } = target;
  await driver.start();
  try {
    const waitUntil = systemClock.monotonic() + PORT_WAIT_MS;
    // The first attempt either opens the port or says why not (missing, busy, no permission).
    while (!driver.status().portOpen && !driver.status().lastError && systemClock.monotonic() < waitUntil)
      await sleep(systemClock, 20);
    if (!driver.status().portOpen) {
      const error = driver.status().lastError ?? 'timed out';
      const busy = /lock|busy/i.test(error)
        ? " (in use by another program: if the daemon runs, open from the operators' page or with central's barrier.open command)"
        : '';
      process.stderr.write(`smartgate barrier: could not open ${target.device}: ${error}${busy}\n`);
      return 1;
    }
    let code = 0;
    if (driver instanceof ModbusRelayDriver) await driver.refresh(); // the inputs as they are now
    if (options.action === 'open') {
      const recorded = record?.requested(options.operator!, target.deadlineMs);
      const result = await driver.open(systemClock.monotonic() + target.deadlineMs);
      for (const frame of result.sent) process.stdout.write(`sent: ${frame}\n`);
      if (record && recorded) {
        try {
          process.stdout.write(
            `recorded: operator.action ${recorded.action}, barrier.actuation ${recorded.request} then ${record.result(result)}\n`,
          );
        } catch (err) {
          process.stderr.write(
            `smartgate barrier: the open was recorded, its result could not be: ${(err as Error).message}\n`,
          );
          code = 1;
        }
      }
      if (!result.ok) {
        process.stderr.write(`smartgate barrier: open failed (${result.reason}): ${result.error}\n`);
        code = 1;
      }
    }
    const status = driver.status();
    process.stdout.write(describeStatus(status, target.wired));
    return status.state === 'fault' ? 1 : code;
  } catch (err) {
    if (!(err instanceof OpenNotRecordable)) throw err;
    process.stderr.write(`smartgate barrier: ${err.message}\n`);
    return 1;
  } finally {
    await driver.stop();
    record?.close();
  }
}
