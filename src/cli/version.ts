import { smartgateVersion } from '../core/version.js';
import { helpRequested, printUsage } from './usage.js';

const USAGE = `usage: smartgate version (or smartgate --version)
Prints smartgate's version from its package.json: the version the daemon publishes in its
retained MQTT status and health messages and shows on the status page's health tab.`;

/** `smartgate version` / `smartgate --version`: one line, the version alone, so scripts can compare it. */
export async function versionCommand(argv: string[]): Promise<number> {
  if (helpRequested(argv)) return printUsage(USAGE);
  if (argv.length > 0) {
    process.stderr.write(`smartgate version: takes no arguments, got "${argv.join(' ')}"\n${USAGE}\n`);
    return 2;
  }
  const version = smartgateVersion();
  if (version === 'unknown') {
    // The installed package.json is missing or broken: say so rather than print a placeholder.
    process.stderr.write("smartgate version: cannot read the version from smartgate's package.json\n");
    return 1;
  }
  process.stdout.write(`${version}\n`);
  return 0;
}
