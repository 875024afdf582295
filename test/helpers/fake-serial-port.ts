import { EventEmitter } from 'node:events';
import type { PortFactory, PortLike } from '../../src/barrier/serial-link.js';

/**
 * A serial device for unit tests: records the exact bytes written to each port opened on it,
 * can be unplugged and plugged back, and answers through `respond` (e.g. the Modbus simulator).
 * Everything completes on microtasks, so tests drive time with a FakeClock alone.
 */
export class FakeSerialDevice {
  present = true;
  written: Buffer[] = [];
  opens = 0;
  current: FakePort | null = null;
  respond: ((frame: Buffer) => Buffer | null) | null = null;
  /** Writes fail with this (as a PTY whose far end closed fails with EIO), nothing written. */
  writeError: Error | null = null;

  readonly factory: PortFactory = () => new FakePort(this);

  /** Every byte written, as hex, frame by frame. */
  frames(): string[] {
    return this.written.map((b) =>
      b
        .toString('hex')
        .toUpperCase()
        .replace(/(..)(?!$)/g, '$1 '),
    );
  }

  unplug(): void {
    this.present = false;
    this.current?.lose(new Error('device disconnected'));
  }

  plug(): void {
    this.present = true;
  }
}

export class FakePort extends EventEmitter implements PortLike {
  isOpen = false;

  constructor(private readonly device: FakeSerialDevice) {
    super();
  }

  open(cb: (err: Error | null) => void): void {
    queueMicrotask(() => {
      if (!this.device.present) return cb(new Error('ENOENT: no such file or directory'));
      this.isOpen = true;
      this.device.opens++;
      this.device.current = this;
      cb(null);
    });
  }

  write(data: Buffer, cb: (err: Error | null | undefined) => void): boolean {
    if (!this.isOpen) {
      queueMicrotask(() => cb(new Error('Port is not open')));
      return false;
    }
    const writeError = this.device.writeError;
    if (writeError) {
      queueMicrotask(() => cb(writeError));
      return false;
    }
    this.device.written.push(Buffer.from(data));
    const answer = this.device.respond?.(Buffer.from(data)) ?? null;
    queueMicrotask(() => {
      cb(null);
      if (answer && this.isOpen) this.emit('data', answer);
    });
    return true;
  }

  close(cb?: (err: Error | null) => void): void {
    this.isOpen = false;
    queueMicrotask(() => cb?.(null));
  }

  lose(err: Error): void {
    this.isOpen = false;
    this.emit('close', err);
  }
}

/** Lets pending microtasks and I/O callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
