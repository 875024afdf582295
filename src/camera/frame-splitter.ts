/**
 * Cuts ffmpeg's raw stdout byte stream (chunks of any size, split anywhere) into frames of
 * exactly `frameBytes` bytes.
 *
 * Each frame gets its own Buffer (its own memory, not a slice of a shared pool), so a frame
 * handed to a consumer is never written to again.
 * The only reuse is through `recycle`: a frame that was dropped before anyone took it can be
 * given back and becomes the next frame's storage, which saves an allocation per dropped frame.
 */
export class FrameSplitter {
  private current: Buffer | null = null;
  private filled = 0;
  private spare: Buffer | null = null;

  constructor(
    readonly frameBytes: number,
    private readonly onFrame: (data: Buffer) => void,
  ) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) {
      throw new RangeError(`frameBytes must be a positive integer, got ${frameBytes}`);
    }
  }

  /** Bytes of the frame in progress (0 right after a frame boundary). */
  get pendingBytes(): number {
    return this.filled;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.current) {
        this.current = this.spare ?? Buffer.allocUnsafeSlow(this.frameBytes);
        this.spare = null;
        this.filled = 0;
      }
      const copied = chunk.copy(this.current, this.filled, offset);
      this.filled += copied;
      offset += copied;
      if (this.filled === this.frameBytes) {
        const frame = this.current;
        this.current = null;
        this.filled = 0;
        this.onFrame(frame);
      }
    }
  }

  /** Gives back a frame buffer that nobody holds any more; it will be overwritten. */
  recycle(data: Buffer): void {
    if (data.length === this.frameBytes && data !== this.current) this.spare = data;
  }

  /** Forgets a partial frame, e.g. when ffmpeg restarts and its output begins afresh. */
  reset(): void {
    if (this.current && !this.spare) this.spare = this.current;
    this.current = null;
    this.filled = 0;
  }
}
