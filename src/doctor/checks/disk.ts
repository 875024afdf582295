import { readdir, stat, statfs } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fail, ok, warn, type Check } from '../types.js';

const MB = 1024 * 1024;
/** Below this free, SQLite and the frame images fail to write soon. */
const FAIL_BELOW_MB = 256;

/**
 * Room on the data folder's file system for the store to reach its quota (store.quotaMb): the
 * free space plus what the store already holds. Less is a warning (the disk fills before the
 * quota deletes anything); almost none is a failure.
 */
export function diskCheck(): Check {
  const name = 'disk';
  return {
    name,
    timeoutMs: 15_000,
    async run({ config }) {
      const dataDir = resolve(config.dataDir);
      const existing = await nearestExisting(dataDir);
      const fs = await statfs(existing);
      const freeMb = (fs.bavail * fs.bsize) / MB;
      const usedMb = existing === dataDir ? (await folderBytes(dataDir)) / MB : 0;
      const quotaMb = config.store.quotaMb;
      const held = existing === dataDir ? `the store holds ${gb(usedMb)}` : `no ${dataDir} yet`;
      const detail = `${existing}: ${gb(freeMb)} free; ${held}, its quota ${gb(quotaMb)}`;
      if (freeMb < FAIL_BELOW_MB)
        return fail(
          name,
          detail,
          'free space on this disk now (old logs, other files), or move dataDir to a larger disk',
        );
      if (freeMb + usedMb < quotaMb)
        return warn(
          name,
          `${detail}: the disk fills before the quota is reached`,
          `lower store.quotaMb to at most ${Math.floor((freeMb + usedMb) * 0.9)}, or free space`,
        );
      return ok(name, detail);
    },
  };
}

function gb(mb: number): string {
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${Math.round(mb)} MB`;
}

/** `path`, or its nearest ancestor that exists (the data folder is made at first start). */
async function nearestExisting(path: string): Promise<string> {
  for (let p = path; ; p = dirname(p)) {
    if (
      await stat(p).then(
        () => true,
        () => false,
      )
    )
      return p;
    if (dirname(p) === p) return p;
  }
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(path);
    else if (entry.isFile()) total += (await stat(path).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
