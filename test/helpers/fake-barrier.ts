import type { BarrierDriver, BarrierStatus, OpenResult } from '../../src/barrier/types.js';

/**
 * A barrier driver for the lane's unit tests: records each open it is asked for, and answers
 * each when the test says (`answer`), or at once with `autoAnswer`.
 */
export class FakeBarrier implements BarrierDriver {
  readonly name = 'fake-barrier';
  /** The deadline of each open asked for, in order. */
  readonly opens: number[] = [];
  /** Answers every open at once with this; null: each waits for `answer`. */
  autoAnswer: OpenResult | null = { ok: true, sent: ['A0 01 01 A2', 'A0 01 00 A1'], confirmed: false };
  private waiting: ((result: OpenResult) => void)[] = [];

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  open(deadlineAt: number): Promise<OpenResult> {
    this.opens.push(deadlineAt);
    if (this.autoAnswer) return Promise.resolve(this.autoAnswer);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Answers the oldest open still waiting. */
  answer(result: OpenResult): void {
    const next = this.waiting.shift();
    if (!next) throw new Error('no open is waiting for an answer');
    next(result);
  }

  status(): BarrierStatus {
    return { state: 'unknown', inputs: null, lastError: null, portOpen: true };
  }
}
