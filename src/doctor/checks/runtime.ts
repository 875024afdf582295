import { ok, warn, type Check, type CheckResult } from '../types.js';

/**
 * When each Node.js LTS line stops getting security fixes (nodejs.org's release schedule). A gate
 * is left alone for years: the runtime under it must still be maintained.
 */
export const NODE_END_OF_LIFE: Readonly<Record<number, string>> = {
  20: '2026-04-30',
  22: '2027-04-30',
  24: '2028-04-30',
};

/** The Node.js running smartgate, as `process.version` and `process.release.lts` give it. */
export interface NodeRuntime {
  version: string;
  /** The LTS line's code name; undefined on a release that is not LTS. */
  lts: string | undefined;
}

const REINSTALL =
  'reinstall with scripts/install.sh --tarball RELEASE --node lts, which installs the Node.js LTS the release was tested on (docs/operations.md)';

/** Judges a Node.js runtime on a day: an LTS line before its end of life is ok. */
export function judgeRuntime(name: string, runtime: NodeRuntime, now: Date): CheckResult {
  const major = Number(/^v(\d+)\./.exec(runtime.version)?.[1]);
  const endOfLife = NODE_END_OF_LIFE[major];
  if (!runtime.lts) {
    return warn(
      name,
      `Node.js ${runtime.version} is not an LTS release: it gets fixes for months, not years`,
      REINSTALL,
    );
  }
  if (!endOfLife) return ok(name, `Node.js ${runtime.version} (${runtime.lts} LTS)`);
  const today = now.toISOString().slice(0, 10);
  if (today > endOfLife) {
    return warn(
      name,
      `Node.js ${runtime.version} (${runtime.lts} LTS) reached its end of life on ${endOfLife}: no more security fixes`,
      REINSTALL,
    );
  }
  return ok(name, `Node.js ${runtime.version} (${runtime.lts} LTS, maintained until ${endOfLife})`);
}

/** The Node.js this smartgate runs on is a maintained LTS release. */
export function runtimeCheck(now: () => Date = () => new Date()): Check {
  const name = 'runtime';
  return {
    name,
    timeoutMs: 1000,
    run: () => Promise.resolve(judgeRuntime(name, { version: process.version, lts: process.release.lts }, now())),
  };
}
