import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** smartgate's version from package.json (two levels up from both src/uplink and dist/uplink). */
export function smartgateVersion(): string {
  if (cached === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version?: unknown;
      };
      cached = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}
