import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { configWarnings } from '../config/warnings.js';
import { createLogger, type Logger } from '../core/log.js';
import { SetupError } from '../core/setup-error.js';
import { buildGate, type Gate, type GateOverrides } from '../gate/build-gate.js';
import { runUntilSignal } from './lifecycle.js';
import { serviceNotifier } from './service-notify.js';
import { helpRequested, printUsage } from './usage.js';

const USAGE = 'usage: smartgate run --config FILE';

/** `smartgate run --config FILE`: the gate daemon, until SIGTERM or SIGINT. */
export async function runCommand(argv: string[]): Promise<number> {
  if (helpRequested(argv)) return printUsage(USAGE);
  let configPath: string | undefined;
  try {
    configPath = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } } }).values.config;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!configPath) {
    console.error(`--config: required\n${USAGE}`);
    return 2;
  }
  let config: Config;
  try {
    config = await loadConfig(configPath);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Same report as check-config: every problem, then refuse to start.
    console.error(err.message);
    return 2;
  }
  return runGate(config);
}

/**
 * Builds the gate for a validated config and runs it until a signal, or for `seconds`; shared by
 * `run` and `demo`. Exit 2 when what the config points at cannot be used (models, data
 * directory, TLS files, the page's port), as for a bad config.
 */
export async function runGate(
  config: Config,
  overrides: Omit<GateOverrides, 'log'> = {},
  seconds?: number,
): Promise<number> {
  const log: Logger = createLogger(config.log.level);
  log.info({ site: config.site.id, lanes: config.lanes.map((l) => l.id) }, 'smartgate starting');
  // The same as check-config prints: valid, but unsafe at a gate.
  for (const warning of configWarnings(config)) log.warn({ warning }, `config: ${warning}`);
  try {
    const gate: Gate = await buildGate(config, { ...overrides, log });
    const until = seconds ? new Promise((r) => setTimeout(r, seconds * 1000).unref()) : undefined;
    // Under systemd (packaging/smartgate.service): ready once up, then the watchdog's pings.
    const notifier = serviceNotifier(log);
    return await runUntilSignal(
      {
        start: async () => {
          await gate.start();
          if (gate.web) log.info({ page: `${gate.web.url}/` }, `page: ${gate.web.url}/`);
          notifier.ready();
        },
        stop: () => (notifier.stop(), gate.stop()),
      },
      log,
      until,
    );
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    console.error(err.message);
    return 2;
  }
}
