import { sleep, type Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { encodeLcus, hex } from './lcus.js';
import { LinkError, SerialLink, type PortFactory } from './serial-link.js';
import type { BarrierDriver, BarrierStatus, BarrierStatusListener, OpenResult } from './types.js';
import { errorMessage } from '../core/error-message.js';

export interface LcusDriverOptions {
  device: string;
  baudRate: number;
  channel: number;
  pulseMs: number;
  clock: Clock;
  log: Logger;
  ports?: PortFactory;
  onStatus?: BarrierStatusListener;
}

/**
 * An LCUS USB relay board wired to the controller's "open" input. The board has no inputs
 * and no acknowledgement, so the state is `unknown`, or `fault` while the port is down or after
 * a failed write. An open is a pulse: on, pulseMs, off (see lcus.ts for the deadline rule).
 */
export class LcusDriver implements BarrierDriver {
  readonly name = 'barrier-lcus';
  private readonly link: SerialLink;
  private pulsing = false;
  private fault: string | null = null;
  /**
   * The on frame was written and the off frame was not: the contact may be held closed (a board
   * on a powered hub, or a port error that did not cut its power). The off frame is sent when
   * the port is back, and only then is the fault cleared.
   */
  private releaseOwed = false;

  constructor(private readonly opts: LcusDriverOptions) {
    encodeLcus(opts.channel, true); // the channel is checked here, not at the first open
    this.link = new SerialLink({
      path: opts.device,
      baudRate: opts.baudRate,
      clock: opts.clock,
      log: opts.log,
      ports: opts.ports,
      onPortChange: (open, error) => {
        // Reconnection never moves the barrier: it clears the fault, after sending the off
        // frame owed by a pulse cut short.
        if (open && this.releaseOwed) return void this.release();
        // Lost again with the off frame still owed: the fault keeps saying so.
        if (open || !this.releaseOwed || !this.fault) this.fault = open ? null : error;
        this.emit();
      },
    });
  }

  async start(): Promise<void> {
    this.link.start();
  }

  async stop(): Promise<void> {
    await this.link.stop();
  }

  status(): BarrierStatus {
    return {
      // Not open and no error yet: the first attempt is still under way.
      state: this.fault || this.link.error ? 'fault' : 'unknown',
      inputs: null,
      lastError: this.fault ?? this.link.error,
      portOpen: this.link.isOpen,
    };
  }

  async open(deadlineAt: number): Promise<OpenResult> {
    const sent: string[] = [];
    if (this.pulsing) return { ok: false, reason: 'busy', error: 'a pulse is already in progress', sent };
    this.pulsing = true;
    try {
      const on = encodeLcus(this.opts.channel, true);
      try {
        await this.link.write(on, deadlineAt);
      } catch (err) {
        return this.failed(err, sent);
      }
      sent.push(hex(on));
      await sleep(this.opts.clock, this.opts.pulseMs);
      // The off frame is part of the same command: releasing the contact is always safe.
      const off = encodeLcus(this.opts.channel, false);
      this.releaseOwed = true;
      try {
        await this.link.write(off, Number.POSITIVE_INFINITY);
      } catch (err) {
        return this.failed(err, sent);
      }
      this.releaseOwed = false;
      sent.push(hex(off));
      if (this.fault) {
        this.fault = null; // both frames went out: the board works again
        this.emit();
      }
      return { ok: true, sent, confirmed: false };
    } finally {
      this.pulsing = false;
    }
  }

  /** Sends the owed off frame; the fault stays until it is written. */
  private async release(): Promise<void> {
    if (this.pulsing) return; // the pulse under way sends its own off frame
    const off = encodeLcus(this.opts.channel, false);
    try {
      await this.link.write(off, Number.POSITIVE_INFINITY);
    } catch (err) {
      this.opts.log.error(
        { device: this.opts.device, err: (err as Error).message },
        'could not send the owed off frame; retrying when the port is back',
      );
      return;
    }
    this.releaseOwed = false;
    this.fault = null;
    this.opts.log.warn(
      { device: this.opts.device, channel: this.opts.channel },
      'sent the off frame owed by a pulse cut short',
    );
    this.emit();
  }

  private failed(err: unknown, sent: string[]): OpenResult {
    const message = errorMessage(err);
    const reason = err instanceof LinkError && err.reason !== 'timeout' ? err.reason : 'error';
    if (reason === 'error' || sent.length > 0) {
      // Something other than the port failed, or the off frame could not be sent: the contact
      // may be stuck closed. A fault until the owed off frame is written on the reopened port.
      this.fault = this.releaseOwed
        ? `channel ${this.opts.channel} may be held on (${message}): its off frame is sent when the port is back`
        : message;
      this.opts.log.error({ device: this.opts.device, err: this.fault }, 'barrier fault');
      this.emit();
    }
    return { ok: false, reason, error: message, sent };
  }

  private emit(): void {
    this.opts.onStatus?.(this.status());
  }
}
