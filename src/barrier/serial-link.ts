import { SerialPort } from 'serialport';
import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../core/log.js';

/** The part of a serial port the link uses; `SerialPort` (autoOpen off) fits, and so do test fakes. */
export interface PortLike {
  readonly isOpen: boolean;
  open(cb: (err: Error | null) => void): void;
  write(data: Buffer, cb: (err: Error | null | undefined) => void): unknown;
  close(cb?: (err: Error | null) => void): void;
  on(event: 'data', fn: (data: Buffer) => void): unknown;
  on(event: 'close', fn: (err?: Error | null) => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  removeAllListeners(): unknown;
}

export type PortFactory = (path: string, baudRate: number) => PortLike;

export const serialPortFactory: PortFactory = (path, baudRate) => new SerialPort({ path, baudRate, autoOpen: false });

/**
 * Why a write or a request failed. `written`: the bytes had been handed to the OS (the port's
 * write completed) before the failure, so the device may have received and acted on them; a
 * failure with `written` false sent nothing.
 */
export class LinkError extends Error {
  constructor(
    readonly reason: 'port-closed' | 'deadline' | 'timeout',
    message: string,
    readonly written = false,
  ) {
    super(message);
  }
}

export interface SerialLinkOptions {
  path: string;
  baudRate: number;
  clock: Clock;
  log: Logger;
  ports?: PortFactory;
  /** Reopen back-off: first wait, doubling up to maxMs. */
  reopenInitialMs?: number;
  reopenMaxMs?: number;
  /** Told when the port opens (true) or is lost (false, with the error). */
  onPortChange?: (open: boolean, error: string | null) => void;
}

/**
 * A serial port that stays open: reopens after errors and unplugging with back-off on the
 * injected clock, and never writes anything by itself on (re)connect.
 *
 * Writes are refused, never queued, when the port is not open or the deadline has passed:
 * serialport buffers writes made while a port is closed and would send them on reopen, so a
 * stale "open" could fire minutes later. Requests are one at a time; one waiting for its turn
 * whose deadline passes meanwhile is refused too.
 */
export class SerialLink {
  private port: PortLike | null = null;
  private open = false;
  private stopped = true;
  private reopenTimer: Timer | null = null;
  private reopenWaitMs: number;
  private lastError: string | null = null;
  private turn: Promise<unknown> = Promise.resolve();
  private pending: { need: (buf: Buffer) => number | null; buf: Buffer; done: (frame: Buffer | Error) => void } | null =
    null;

  constructor(private readonly opts: SerialLinkOptions) {
    this.reopenWaitMs = opts.reopenInitialMs ?? 500;
  }

  get isOpen(): boolean {
    return this.open;
  }

  get error(): string | null {
    return this.lastError;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reopenTimer) this.opts.clock.clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    const port = this.port;
    this.port = null;
    this.open = false;
    this.failPending(new LinkError('port-closed', `${this.opts.path}: link stopped`));
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    port?.removeAllListeners();
  }

  private connect(): void {
    if (this.stopped) return;
    const port = (this.opts.ports ?? serialPortFactory)(this.opts.path, this.opts.baudRate);
    this.port = port;
    port.on('data', (data) => this.onData(data));
    port.on('error', (err) => this.lost(port, err));
    port.on('close', (err) => this.lost(port, err ?? new Error('port closed')));
    port.open((err) => {
      if (this.port !== port) {
        if (!err) port.close(() => {}); // stopped (or replaced) while opening
        return;
      }
      if (err) return this.lost(port, err);
      this.open = true;
      this.lastError = null;
      this.reopenWaitMs = this.opts.reopenInitialMs ?? 500;
      this.opts.log.info({ path: this.opts.path }, 'serial port open');
      this.opts.onPortChange?.(true, null);
    });
  }

  private lost(port: PortLike, err: Error): void {
    if (this.port !== port || this.stopped) return;
    const wasOpen = this.open;
    this.open = false;
    this.port = null;
    port.removeAllListeners();
    port.on('error', () => {}); // a late error from the dead port must not crash the process
    if (port.isOpen) port.close(() => {});
    const message = `${this.opts.path}: ${err.message}`;
    this.failPending(new LinkError('port-closed', message));
    if (wasOpen || this.lastError !== message) {
      this.opts.log.error({ path: this.opts.path, err: err.message, retryInMs: this.reopenWaitMs }, 'serial port lost');
      this.lastError = message;
      this.opts.onPortChange?.(false, message);
    }
    this.reopenTimer = this.opts.clock.setTimeout(() => {
      this.reopenTimer = null;
      this.connect();
    }, this.reopenWaitMs);
    this.reopenWaitMs = Math.min(this.reopenWaitMs * 2, this.opts.reopenMaxMs ?? 5000);
  }

  /**
   * Writes `bytes` now, or refuses: port not open, or `deadlineAt` (monotonic ms) passed.
   * Resolves once the OS took the bytes; a rejection means they were not written.
   */
  write(bytes: Buffer, deadlineAt: number): Promise<void> {
    return this.exclusive(() => this.writeNow(bytes, deadlineAt));
  }

  /**
   * Writes a request and waits for its response, framed by `need` (how many bytes the
   * response has, given what arrived so far, or null while unknown), for up to `timeoutMs`.
   * A failure once the request was written (no response, the port lost while waiting for it)
   * is a LinkError with `written` set: the device may have acted on the request.
   */
  request(bytes: Buffer, deadlineAt: number, need: (buf: Buffer) => number | null, timeoutMs: number): Promise<Buffer> {
    return this.exclusive(async () => {
      const response = new Promise<Buffer>((resolve, reject) => {
        const timer = this.opts.clock.setTimeout(() => {
          this.pending = null;
          reject(new LinkError('timeout', `${this.opts.path}: no response within ${timeoutMs} ms`, true));
        }, timeoutMs);
        this.pending = {
          need,
          buf: Buffer.alloc(0),
          done: (frame) => {
            this.opts.clock.clearTimeout(timer);
            this.pending = null;
            if (frame instanceof Error) reject(frame);
            else resolve(frame);
          },
        };
      });
      // The port can be lost (or the link stopped) while the write is still under way, before
      // anything awaits `response`: without this its rejection is unhandled and ends the process.
      response.catch(() => {});
      try {
        await this.writeNow(bytes, deadlineAt);
      } catch (err) {
        this.pending?.done(err as Error);
        await response.catch(() => {});
        throw err;
      }
      // The request is on the wire: whatever fails now (the port lost, no answer) came after the
      // device could have acted on it, even if the loss was noticed while the write was under way.
      return response.catch((err: unknown) => {
        if (err instanceof LinkError && !err.written)
          throw new LinkError(err.reason, `${err.message}, after the request was written`, true);
        throw err;
      });
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn, fn);
    this.turn = run.catch(() => {});
    return run;
  }

  private writeNow(bytes: Buffer, deadlineAt: number): Promise<void> {
    const port = this.port;
    if (!this.open || !port?.isOpen) {
      return Promise.reject(
        new LinkError('port-closed', `${this.opts.path}: port not open (${this.lastError ?? 'opening'}), not sent`),
      );
    }
    const now = this.opts.clock.monotonic();
    if (now > deadlineAt) {
      return Promise.reject(
        new LinkError(
          'deadline',
          `${this.opts.path}: deadline passed ${Math.round(now - deadlineAt)} ms ago, not sent`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      port.write(bytes, (err) => {
        if (!err) return resolve();
        // A serial write fails when the device is gone (EIO once its far end closed), often
        // before the port's close event arrives: treat it as that loss, reopen, and say so.
        const lost = new LinkError('port-closed', `${this.opts.path}: write failed: ${err.message}`);
        this.lost(port, err);
        reject(lost);
      });
    });
  }

  private onData(data: Buffer): void {
    const pending = this.pending;
    if (!pending) return; // unsolicited bytes: nothing waits for them
    pending.buf = Buffer.concat([pending.buf, data]);
    const need = pending.need(pending.buf);
    if (need !== null && pending.buf.length >= need) pending.done(pending.buf.subarray(0, need));
  }

  private failPending(err: Error): void {
    this.pending?.done(err);
  }
}
