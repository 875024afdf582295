import { ConfigError, loadConfig } from '../config/load.js';
import { configWarnings } from '../config/warnings.js';
import { helpRequested, printUsage } from './usage.js';

const USAGE = 'usage: smartgate check-config FILE';

/**
 * `smartgate check-config FILE`: validates a config file without starting anything. Prints
 * every problem on stderr, one per line, and returns 2; or a one-line summary on stdout and 0,
 * after any warnings (valid but unsafe settings, `warning: field: ...`) on stderr.
 */
export async function checkConfigCommand(args: string[]): Promise<number> {
  if (helpRequested(args)) return printUsage(USAGE);
  if (args.length !== 1 || args[0]!.startsWith('-')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const file = args[0]!;
  try {
    const config = await loadConfig(file);
    process.stderr.write(
      configWarnings(config)
        .map((warning) => `warning: ${warning}\n`)
        .join(''),
    );
    const lanes = config.lanes.map((lane) => `${lane.id} ${lane.direction}`).join(', ');
    process.stdout.write(
      `${file}: ok, site ${config.site.id} (${config.site.name}), ${config.lanes.length} lane${config.lanes.length === 1 ? '' : 's'}: ${lanes}\n`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(err.problems.map((problem) => `${problem}\n`).join(''));
    return 2;
  }
}
