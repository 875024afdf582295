import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { sleep, type Clock } from '../core/clock.js';
import { acceptsLoopback, freeLoopbackPort } from '../core/loopback.js';
import type { Logger } from '../core/log.js';
import type { Service } from '../core/service.js';
import { mosquittoConf, type LocalBrokerConf } from './mosquitto-conf.js';

export const MOSQUITTO_BINARY = '/usr/sbin/mosquitto';

export interface LocalBrokerContext {
  clock: Clock;
  log: Logger;
}

export interface LocalBrokerOptions {
  /** Config and persistence go here (the demo uses `{dataDir}/broker`). */
  dir: string;
  /** Default: Debian's /usr/sbin/mosquitto. */
  binary?: string;
  /** Longest wait for the broker to listen, and for it to exit on stop; default 10 s. */
  timeoutMs?: number;
  /** Password file and ACL (demoBrokerUsers); without them the broker takes anonymous clients. */
  auth?: LocalBrokerConf['auth'];
}

export class LocalBrokerError extends Error {}

/**
 * The demo's stand-in for central's broker: the system Mosquitto (MQTT 5, which the uplink
 * needs: session expiry, response topics) as a child process on a free loopback port. It runs
 * in its own process group, so an operator's Ctrl-C reaches only the demo, which stops the
 * lanes and the uplink (publishing `stopped`) before it stops the broker.
 */
export class LocalBroker implements Service {
  readonly name = 'local-broker';
  private child: ChildProcess | null = null;
  private port = 0;
  private stderr = '';
  private readonly killOnExit = () => this.child?.kill('SIGTERM');

  constructor(
    private readonly ctx: LocalBrokerContext,
    private readonly opts: LocalBrokerOptions,
  ) {}

  /** mqtt://127.0.0.1:PORT, once started. */
  get url(): string {
    if (!this.port) throw new Error('local broker not started');
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const binary = this.opts.binary ?? MOSQUITTO_BINARY;
    if (!existsSync(binary)) {
      throw new LocalBrokerError(
        `${binary} not found: the demo's broker is Mosquitto, install the Debian package \`mosquitto\` (sudo apt-get install mosquitto), or pass --mqtt-url to use another broker`,
      );
    }
    mkdirSync(this.opts.dir, { recursive: true });
    // A free port can be taken by someone else before mosquitto binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      this.port = await freeLoopbackPort();
      const confPath = join(this.opts.dir, 'mosquitto.conf');
      const auth = this.opts.auth;
      writeFileSync(
        confPath,
        mosquittoConf({ port: this.port, dir: this.opts.dir, user: userInfo().username, ...(auth && { auth }) }),
      );
      const child = spawn(binary, ['-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
      this.child = child;
      this.stderr = '';
      child.stderr.setEncoding('utf8').on('data', (text: string) => this.onStderr(text));
      // If the demo exits without stop() (a second Ctrl-C exits at once), the broker goes too.
      process.once('exit', this.killOnExit);
      try {
        await this.waitListening(child);
        this.ctx.log.info({ url: this.url, pid: child.pid }, 'local broker started');
        return;
      } catch (err) {
        await this.stop();
        if (attempt >= 3) throw err;
      }
    }
  }

  /** SIGTERM (mosquitto saves its sessions), then waits for the exit; SIGKILL after the timeout. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    process.off('exit', this.killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = this.ctx.clock.setTimeout(() => child.kill('SIGKILL'), this.timeoutMs);
    await exited;
    this.ctx.clock.clearTimeout(timer);
  }

  private get timeoutMs(): number {
    return this.opts.timeoutMs ?? 10_000;
  }

  private onStderr(text: string): void {
    this.stderr = (this.stderr + text).slice(-4_000);
    // Info, not warn: as root mosquitto always warns about it, and start errors carry the text anyway.
    for (const line of text.split('\n')) if (line.trim()) this.ctx.log.info({ mosquitto: line.trim() }, 'local broker');
  }

  private async waitListening(child: ChildProcess): Promise<void> {
    const deadline = this.ctx.clock.monotonic() + this.timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new LocalBrokerError(
          `mosquitto exited (${child.exitCode ?? child.signalCode}) on port ${this.port}: ${this.stderr.trim()}`,
        );
      }
      if (await acceptsLoopback(this.port)) return;
      if (this.ctx.clock.monotonic() > deadline) {
        throw new LocalBrokerError(
          `mosquitto not listening on 127.0.0.1:${this.port} after ${this.timeoutMs} ms: ${this.stderr.trim()}`,
        );
      }
      await sleep(this.ctx.clock, 50);
    }
  }
}
