import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JEMALLOC_SONAME, mapsShowJemalloc } from '../../core/allocator.js';
import { ok, warn, type Check, type CheckResult } from '../types.js';

const INSTALL = `apt-get install libjemalloc2 (Debian's jemalloc, ${JEMALLOC_SONAME}), then restart the daemon`;

/**
 * Judges the malloc this process runs with. doctor starts through the same `#!` line as the daemon,
 * so what it loaded is what the daemon loads.
 */
export function judgeAllocator(name: string, loaded: boolean, installed: boolean): CheckResult {
  if (loaded) return ok(name, `jemalloc (${JEMALLOC_SONAME})`);
  if (!installed) {
    return warn(
      name,
      `glibc's malloc: ${JEMALLOC_SONAME} is not installed, and the daemon's memory grows by 20-30 MB over its first hour (docs/benchmarks.md)`,
      INSTALL,
    );
  }
  return warn(
    name,
    `glibc's malloc: ${JEMALLOC_SONAME} is installed but this process did not load it`,
    'start smartgate through its command (the installed smartgate, or dist/cli/main.js itself), not `node dist/cli/main.js`, whose #! line preloads it',
  );
}

/** Where Debian puts shared libraries: /usr/lib and /lib, and their per-architecture folders. */
function libraryInstalled(soname: string): boolean {
  for (const base of ['/usr/lib', '/lib', '/usr/local/lib']) {
    let dirs: string[];
    try {
      dirs = readdirSync(base).filter((entry) => entry.includes('-linux-'));
    } catch {
      continue;
    }
    for (const dir of [base, ...dirs.map((d) => join(base, d))]) {
      if (existsSync(join(dir, soname))) return true;
    }
  }
  return false;
}

/** The daemon's malloc is jemalloc, which gives freed memory back (src/core/allocator.ts). */
export function allocatorCheck(): Check {
  const name = 'allocator';
  return {
    name,
    timeoutMs: 1000,
    run: () => {
      let loaded = false;
      try {
        loaded = mapsShowJemalloc(readFileSync('/proc/self/maps', 'utf8'));
      } catch {
        // No /proc: judged as not loaded.
      }
      return Promise.resolve(judgeAllocator(name, loaded, libraryInstalled(JEMALLOC_SONAME)));
    },
  };
}
