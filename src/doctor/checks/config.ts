import { ConfigError, loadConfig, type Config } from '../../config/index.js';
import { configWarnings } from '../../config/warnings.js';
import { fail, ok, warn, type CheckResult } from '../types.js';

/** The config file loads and validates as `check-config` does; the other checks need it. */
export async function configCheck(path: string): Promise<{ result: CheckResult; config: Config | null }> {
  const name = 'config';
  try {
    const config = await loadConfig(path);
    const warnings = configWarnings(config);
    const lanes = `site ${config.site.id}, ${config.lanes.length} lane${config.lanes.length === 1 ? '' : 's'}`;
    const result = warnings.length
      ? warn(
          name,
          `${path} valid (${lanes}), with ${warnings.length} warning${warnings.length === 1 ? '' : 's'}: ${warnings.join('; ')}`,
          'change the settings named (docs/configuration.md)',
        )
      : ok(name, `${path} valid: ${lanes}`);
    return { result, config };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return {
      result: fail(
        name,
        `${path}: ${err.problems.join('; ')}`,
        `correct the file (smartgate check-config ${path} lists each problem); nothing else is checked until it loads`,
      ),
      config: null,
    };
  }
}
