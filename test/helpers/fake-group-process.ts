import type { GroupProcess, ProcessEnd } from '../../src/camera/process-group.js';

/** Stands in for an ffmpeg process: the test writes its output and decides when it ends. */
export class FakeProcess implements GroupProcess {
  readonly signals: string[] = [];
  private stdout: ((chunk: Buffer) => void) | null = null;
  private stderr: ((chunk: Buffer) => void) | null = null;
  private end: ((end: ProcessEnd) => void) | null = null;

  constructor(
    readonly pid: number,
    readonly command: string,
    readonly args: readonly string[],
  ) {}

  onStdout(fn: (chunk: Buffer) => void): void {
    this.stdout = fn;
  }
  onStderr(fn: (chunk: Buffer) => void): void {
    this.stderr = fn;
  }
  onEnd(fn: (end: ProcessEnd) => void): void {
    this.end = fn;
  }
  signalGroup(signal: 'SIGTERM' | 'SIGKILL'): void {
    this.signals.push(signal);
  }

  write(bytes: Buffer | string): void {
    this.stdout?.(Buffer.from(bytes));
  }
  writeStderr(text: string): void {
    this.stderr?.(Buffer.from(text));
  }
  exit(code: number | null, signal: NodeJS.Signals | null = null, error?: Error): void {
    this.end?.({ code, signal, error });
  }
}
