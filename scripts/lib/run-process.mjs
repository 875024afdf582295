// A child process run to completion, for the scripts that drive the CLI and the shared scorer.
import { spawn } from 'node:child_process';

/**
 * Runs `cmd args` with no stdin and resolves with its exit code, stdout and stderr (utf8);
 * with `forwardStderr` its stderr is also shown as it comes. Rejects only if it cannot start.
 */
export function runProcess(cmd, args, { forwardStderr = false } = {}) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => {
      err.push(c);
      if (forwardStderr) process.stderr.write(c);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolveRun({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}
