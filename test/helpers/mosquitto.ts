import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { mosquittoConf } from '../../src/demo/mosquitto-conf.js';
import { acceptsLoopback, freeLoopbackPort as freePort } from '../../src/core/loopback.js';

const MOSQUITTO = '/usr/sbin/mosquitto';

export interface Mosquitto {
  /** mqtt://127.0.0.1:PORT */
  url: string;
  port: number;
  /** The persistence directory, kept across restart(). */
  dir: string;
  readonly running: boolean;
  /** SIGTERM and wait: mosquitto saves its sessions and queued messages on the way out. */
  stop(): Promise<void>;
  /** SIGKILL and wait: a crash; nothing since the last autosave is kept. */
  kill(): Promise<void>;
  /** Stops it if running, then starts it again on the same port with the same persistence. */
  restart(): Promise<void>;
  /** Stops it and deletes the persistence directory. */
  dispose(): Promise<void>;
}

export interface MosquittoOptions {
  /** Default: a free one. */
  port?: number;
  /** Extra lines for mosquitto.conf. */
  extraConfig?: string[];
  startTimeoutMs?: number;
}

/**
 * A private Mosquitto for one test, on a free loopback port, with persistence in a temp dir so
 * persistent sessions and their queued QoS 1 messages survive `restart()`. Never the system
 * broker on 1883.
 */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'smartgate-mosquitto-'));
  const port = opts.port ?? (await freePort());
  const confPath = join(dir, 'mosquitto.conf');
  // The same settings as the demo's broker (persistence as the test's user, no queue cap).
  await writeFile(confPath, mosquittoConf({ port, dir, user: userInfo().username, extra: opts.extraConfig ?? [] }));
  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  let child: ChildProcess | null = null;
  let stderr = '';

  const isRunning = () => child !== null && child.exitCode === null && child.signalCode === null;

  const launch = async () => {
    stderr = '';
    const proc = spawn(MOSQUITTO, ['-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    proc.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`mosquitto exited (${proc.exitCode ?? proc.signalCode}) on port ${port}: ${stderr.trim()}`);
      }
      if (await acceptsLoopback(port)) return;
      if (Date.now() > deadline) {
        await end('SIGKILL');
        throw new Error(`mosquitto not listening on ${port} after ${timeoutMs} ms: ${stderr.trim()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const end = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (!proc || !isRunning()) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    await gone;
    clearTimeout(timer);
  };

  await launch();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    dir,
    get running() {
      return isRunning();
    },
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    async restart() {
      await end('SIGTERM');
      await launch();
    },
    async dispose() {
      await end('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
