import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { allocatorCheck } from '../doctor/checks/allocator.js';
import { brokerCheck } from '../doctor/checks/broker.js';
import { cameraCheck } from '../doctor/checks/camera.js';
import { clockCheck } from '../doctor/checks/clock.js';
import { configCheck } from '../doctor/checks/config.js';
import { diskCheck } from '../doctor/checks/disk.js';
import { modelsCheck } from '../doctor/checks/models.js';
import { outboxCheck } from '../doctor/checks/outbox.js';
import { runtimeCheck } from '../doctor/checks/runtime.js';
import { serialCheck } from '../doctor/checks/serial.js';
import { exitCodeFor, EXIT_USAGE, formatReport, jsonReport } from '../doctor/report.js';
import { runChecks } from '../doctor/run-checks.js';
import type { Check } from '../doctor/types.js';
import type { Config } from '../config/index.js';
import { helpRequested, printUsage } from './usage.js';

const USAGE = `usage: smartgate doctor --config FILE [--snapshots DIR] [--json]
  checks a site before and after go-live, one line per check with what to do:
  config, the Node.js runtime and its malloc, models, each lane's camera (a snapshot saved) and relay board,
  the broker login, the clock's NTP sync, disk space for the store's quota, and the outbox's
  oldest event
  --config FILE     the daemon's config
  --snapshots DIR   where each camera's frame is saved as LANE.jpg (default: a new temp folder)
  --json            the results as JSON on stdout
exit: 0 every check ok, 1 a warning and no failure, 3 a failure, 2 bad options`;

/** The checks a valid config asks for: the site-wide ones, and per lane its camera and board. */
export function checksFor(config: Config, configPath: string): Check[] {
  const checks: Check[] = [runtimeCheck(), allocatorCheck(), modelsCheck()];
  for (const lane of config.lanes) checks.push(cameraCheck(lane));
  for (const lane of config.lanes) {
    if (lane.barrier.driver === 'lcus' || lane.barrier.driver === 'modbus') checks.push(serialCheck(lane, configPath));
  }
  checks.push(brokerCheck(), clockCheck(), diskCheck(), outboxCheck());
  return checks;
}

/**
 * `smartgate doctor`: read-only beside a running daemon (its store is read without a lock, the
 * broker is logged in to under another client id); a relay board's port is the one thing a
 * running daemon holds, which the check reports as a warning.
 */
export async function doctorCommand(args: string[]): Promise<number> {
  if (helpRequested(args)) return printUsage(USAGE);
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { config: { type: 'string' }, snapshots: { type: 'string' }, json: { type: 'boolean' } },
    }));
  } catch (err) {
    process.stderr.write(`smartgate doctor: ${(err as Error).message}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  if (!values.config) {
    process.stderr.write(`smartgate doctor: --config is required\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const configPath = values.config;
  const { result, config } = await configCheck(configPath);
  const results = [result];
  if (config) {
    const snapshotDir = values.snapshots
      ? resolve(values.snapshots)
      : await mkdtemp(join(tmpdir(), 'smartgate-doctor-'));
    await mkdir(snapshotDir, { recursive: true });
    results.push(...(await runChecks(checksFor(config, configPath), { config, configPath, snapshotDir })));
  }
  process.stdout.write(values.json ? jsonReport(results) : formatReport(results));
  return exitCodeFor(results);
}
