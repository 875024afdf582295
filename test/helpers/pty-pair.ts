import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from './processes.js';

/**
 * A real pseudo-terminal pair from socat: bytes written to `a` come out of `b` and back.
 * `a` and `b` are symlinks in `dir` (like /dev/serial/by-id paths); killing socat is the
 * test's way of unplugging the device, and starting a new pair at the same paths of plugging
 * it back in.
 */
export class PtyPair {
  readonly a: string;
  readonly b: string;
  private proc: ChildProcess | null = null;

  constructor(readonly dir: string) {
    this.a = join(dir, 'a');
    this.b = join(dir, 'b');
  }

  async start(timeoutMs = 5000): Promise<void> {
    if (this.proc) throw new Error('PtyPair already started');
    const proc = spawn(
      '/usr/bin/socat',
      ['-d', '-d', `pty,raw,echo=0,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    this.proc = proc;
    try {
      await waitFor(
        () => existsSync(this.a) && existsSync(this.b) && proc.exitCode === null,
        timeoutMs,
        `socat links ${this.a}, ${this.b}`,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; socat said: ${stderr.trim()}`, { cause: err });
    }
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** SIGTERM: socat removes its links. */
  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  /** SIGKILL: the links stay behind, dangling, as after a crash. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /**
   * Unplugging as udev does it: socat killed and its links removed at once. Dangling links
   * would be worse than unrealistic: the freed /dev/pts number is soon reused by another pair
   * (another test's), and a driver reopening through the old link would land on it.
   */
  async unplug(): Promise<void> {
    await this.kill();
    await rm(this.a, { force: true });
    await rm(this.b, { force: true });
  }

  private signal(sig: NodeJS.Signals): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(sig);
    });
  }
}
