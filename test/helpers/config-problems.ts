import { ConfigError, parseConfig } from '../../src/config/index.js';

/** The problems a config text is refused with; throws when it is accepted. */
export function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'gate.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected the config to be rejected');
}
