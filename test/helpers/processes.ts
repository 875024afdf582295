import { execFileSync } from 'node:child_process';

export interface Proc {
  pid: number;
  pgid: number;
  ppid: number;
  comm: string;
}

/** Every process on the machine, from `ps`. */
export function processes(): Proc[] {
  return execFileSync('ps', ['-e', '-o', 'pid=,pgid=,ppid=,comm='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => {
      const [pid, pgid, ppid, ...comm] = line.trim().split(/\s+/);
      return { pid: Number(pid), pgid: Number(pgid), ppid: Number(ppid), comm: comm.join(' ') };
    });
}

/** ffmpeg processes whose parent is `parentPid`. */
export function ffmpegChildrenOf(parentPid: number): Proc[] {
  return processes().filter((p) => p.ppid === parentPid && p.comm === 'ffmpeg');
}

/** Processes in any of these groups, or with these pids (an orphan keeps its pgid when re-parented). */
export function inGroups(pids: number[]): Proc[] {
  return processes().filter((p) => pids.includes(p.pid) || pids.includes(p.pgid));
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
