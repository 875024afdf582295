import type { Clock, Timer } from '../core/clock.js';

export type BoomPosition = 'closed' | 'opening' | 'open' | 'closing';

export interface BoomTimings {
  /** Travel time from closed to open, ms. */
  openMs: number;
  /** Time the boom stays open before the controller's auto-close, ms. */
  holdOpenMs: number;
  /** Travel time from open to closed, ms. */
  closeMs: number;
}

/**
 * A barrier controller and its boom, as the simulator's far side: an "open" contact closing
 * starts opening; open limit after openMs; auto-close after holdOpenMs, held while the loop is
 * occupied (closing starts when it clears); closed limit after closeMs. A vehicle on the loop
 * or a new open while closing reverses the boom, as real controllers do.
 */
export class BoomModel {
  private pos: BoomPosition = 'closed';
  private loop = false;
  private timer: Timer | null = null;
  private waitingForLoop = false;

  constructor(
    private readonly clock: Clock,
    private readonly timings: BoomTimings,
    private readonly onChange?: (pos: BoomPosition) => void,
  ) {}

  get position(): BoomPosition {
    return this.pos;
  }

  get loopOccupied(): boolean {
    return this.loop;
  }

  /** The controller's "open" input saw a rising edge. */
  trigger(): void {
    if (this.pos === 'open') return this.hold();
    if (this.pos === 'opening') return;
    this.move('opening', this.timings.openMs, () => {
      this.set('open');
      this.hold();
    });
  }

  setLoop(occupied: boolean): void {
    this.loop = occupied;
    if (occupied && this.pos === 'closing') this.trigger();
    if (!occupied && this.waitingForLoop) this.close();
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private hold(): void {
    this.waitingForLoop = false;
    this.schedule(this.timings.holdOpenMs, () => (this.loop ? (this.waitingForLoop = true) : this.close()));
  }

  private close(): void {
    this.waitingForLoop = false;
    this.move('closing', this.timings.closeMs, () => this.set('closed'));
  }

  private move(pos: BoomPosition, ms: number, then: () => void): void {
    this.set(pos);
    this.schedule(ms, then);
  }

  private schedule(ms: number, fn: () => void): void {
    this.stop();
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      fn();
    }, ms);
  }

  private set(pos: BoomPosition): void {
    if (pos === this.pos) return;
    this.pos = pos;
    this.onChange?.(pos);
  }
}
