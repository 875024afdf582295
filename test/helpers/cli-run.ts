import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { builtCli } from './demo-clip.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built `smartgate` in a child process, as a user runs it: its exit code and output. */
export function runCli(args: string[], timeoutMs = 60_000): Promise<CliRun> {
  return runCommand(process.execPath, [builtCli(), ...args], { timeoutMs });
}

export interface CommandOptions {
  cwd?: string;
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Written to the command's stdin, which is then closed. */
  input?: string;
  timeoutMs?: number;
}

/** Any command in a child process: its exit code (null when a signal or the timeout ended it) and output. */
export function runCommand(file: string, args: string[], options: CommandOptions = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 << 20,
      },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: unknown }).code ?? null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Each built file must be newer than its source, or a test of the built CLI would run old code. */
export function expectFreshBuild(pairs: readonly (readonly [source: string, built: string])[]): void {
  const root = new URL('../..', import.meta.url).pathname;
  for (const [source, built] of pairs) {
    const stale =
      !existsSync(join(root, built)) || statSync(join(root, built)).mtimeMs < statSync(join(root, source)).mtimeMs;
    if (stale) throw new Error(`${built} is older than ${source}: run npm run build`);
  }
}
