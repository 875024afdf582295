import { spawn } from 'node:child_process';

export interface ProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. the program is missing). */
  error?: Error;
}

/**
 * A child process that leads its own process group, reduced to what a frame source needs.
 * Unit tests pass a fake with the same shape.
 */
export interface GroupProcess {
  readonly pid: number | undefined;
  onStdout(fn: (chunk: Buffer) => void): void;
  onStderr(fn: (chunk: Buffer) => void): void;
  /** Called exactly once: the process has exited and its output is closed, or it never started. */
  onEnd(fn: (end: ProcessEnd) => void): void;
  /** Sends `signal` to the whole group, so nothing the process started outlives it. */
  signalGroup(signal: 'SIGTERM' | 'SIGKILL'): void;
}

export type SpawnGroupProcess = (command: string, args: readonly string[]) => GroupProcess;

/** Groups still alive, killed if this Node process exits without stopping its sources. */
const liveGroups = new Set<number>();
let exitGuardInstalled = false;

function installExitGuard(): void {
  if (exitGuardInstalled) return;
  exitGuardInstalled = true;
  // 'exit' handlers must be synchronous; process.kill is. A crash that skips stop() still
  // takes ffmpeg down (and a SIGKILLed Node leaves ffmpeg to die of EPIPE on its next frame).
  process.on('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
  });
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    // ESRCH: the group is already gone, which is what we wanted.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * Spawns `command` detached, so it leads a new process group (pgid = pid) that can be signalled
 * as a whole, with stdin closed and stdout/stderr piped to us.
 */
export const spawnGroupProcess: SpawnGroupProcess = (command, args) => {
  installExitGuard();
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid !== undefined) liveGroups.add(pid);

  let endListener: ((end: ProcessEnd) => void) | null = null;
  let ended: ProcessEnd | null = null;
  const finish = (end: ProcessEnd) => {
    if (ended) return;
    ended = end;
    endListener?.(end);
  };
  child.on('exit', () => {
    if (pid !== undefined) liveGroups.delete(pid);
  });
  child.on('close', (code, signal) => finish({ code, signal }));
  child.on('error', (error) => {
    // Without a pid the process never ran and 'close' may not follow; with one, this is a
    // failed kill() or similar and 'close' still comes.
    if (pid === undefined) finish({ code: null, signal: null, error });
  });

  return {
    pid,
    onStdout: (fn) => child.stdout?.on('data', fn),
    onStderr: (fn) => child.stderr?.on('data', fn),
    onEnd: (fn) => {
      endListener = fn;
      if (ended) fn(ended);
    },
    signalGroup: (signal) => {
      if (pid !== undefined && liveGroups.has(pid)) killGroup(pid, signal);
    },
  };
};
