import { sleep, type Clock, type Timer } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { hex } from './lcus.js';
import {
  decodeReadInputsResponse,
  decodeWriteCoilResponse,
  encodeFlash,
  encodeReadInputs,
  encodeWriteCoil,
  expectedResponseLength,
  ModbusException,
} from './modbus-rtu.js';
import { LinkError, SerialLink, type PortFactory } from './serial-link.js';
import type {
  BarrierDriver,
  BarrierInputs,
  BarrierState,
  BarrierStatus,
  BarrierStatusListener,
  OpenFailure,
  OpenResult,
} from './types.js';
import { errorMessage } from '../core/error-message.js';

/** Discrete input numbers (0-based) of what is wired; leave out what is not. */
export interface InputMapping {
  openLimit?: number;
  closedLimit?: number;
  loop?: number;
}

export interface ModbusDriverOptions {
  device: string;
  baudRate: number;
  address: number;
  /** The relay (coil, 0-based) wired to the controller's "open" input. */
  coil: number;
  /** `pulse`: coil on, pulseMs, coil off. `flash`: one board-timed flash (see modbus-rtu.ts). */
  mode: 'pulse' | 'flash';
  pulseMs: number;
  /** No open limit this long after the pulse → one retry; again → fault. Needs inputs.openLimit. */
  openTimeoutMs: number;
  inputs: InputMapping;
  pollMs: number;
  responseTimeoutMs: number;
  clock: Clock;
  log: Logger;
  ports?: PortFactory;
  onStatus?: BarrierStatusListener;
}

const frameLength = (request: Buffer) => (buf: Buffer) =>
  buf.length < 2 ? null : buf[1]! & 0x80 ? 5 : expectedResponseLength(request);

/**
 * A Modbus RTU relay module: the open relay is pulsed (or flashed), and the discrete inputs, when
 * wired, are polled every pollMs. The state is only what the inputs say: open limit → `open`,
 * closed limit → `closed`, neither while an open is awaited → `opening`, otherwise `unknown`;
 * `fault` while the port is down, the board does not answer, both limits are on, the open
 * limit never came, or the open contact may be held closed. Reconnection reads the inputs and
 * writes no coil but an owed coil-off (see releaseOwed).
 */
export class ModbusRelayDriver implements BarrierDriver {
  readonly name = 'barrier-modbus';
  private readonly link: SerialLink;
  private readonly inputCount: number;
  private inputs: BarrierInputs | null = null;
  private boardError: string | null = null;
  private openFault: string | null = null;
  private awaitingOpen = false;
  private busy = false;
  private pollTimer: Timer | null = null;
  private running = false;
  private lastEmitted = '';
  private openLimitWaiters: (() => void)[] = [];
  /**
   * Pulse mode: the coil-on may have reached the board and the coil-off did not (port lost or
   * board silent in between). A separately powered board keeps that relay closed, and a
   * controller whose open input is held keeps the boom up for anyone; the off is sent as soon
   * as the port is back, and retried at every poll until the board takes it.
   */
  private releaseOwed = false;
  /** While a release is owed: why the contact may be held closed (the state is `fault`). */
  private releaseFault: string | null = null;
  private releasing = false;

  constructor(private readonly opts: ModbusDriverOptions) {
    encodeWriteCoil(opts.address, opts.coil, true); // address and coil are checked here
    const wired = Object.values(opts.inputs).filter((n): n is number => n !== undefined);
    this.inputCount = wired.length ? Math.max(...wired) + 1 : 0;
    this.link = new SerialLink({
      path: opts.device,
      baudRate: opts.baudRate,
      clock: opts.clock,
      log: opts.log,
      ports: opts.ports,
      onPortChange: (open) => {
        if (!open) this.inputs = null; // stale inputs say nothing about the barrier now
        this.emit();
        if (open) void this.releaseIfOwed().then(() => this.poll());
      },
    });
  }

  async start(): Promise<void> {
    this.running = true;
    this.link.start();
    this.schedulePoll();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.pollTimer) this.opts.clock.clearTimeout(this.pollTimer);
    this.pollTimer = null;
    this.releaseWaiters();
    await this.link.stop();
  }

  status(): BarrierStatus {
    // Before the first open attempt has ended there is no error yet: unknown, not fault. A
    // contact that may be held closed comes first: it is what the operator must know.
    const fault =
      this.releaseFault ??
      (!this.link.isOpen ? this.link.error : (this.boardError ?? this.openFault ?? this.limitsConflict()));
    return {
      state: fault ? 'fault' : this.link.isOpen ? this.stateFromInputs() : 'unknown',
      inputs: this.inputCount ? this.inputs : null,
      lastError: fault,
      portOpen: this.link.isOpen,
    };
  }

  /** Reads the inputs now (the CLI's `status`); resolves when done or failed. */
  async refresh(): Promise<void> {
    await this.poll();
  }

  async open(deadlineAt: number): Promise<OpenResult> {
    const sent: string[] = [];
    if (this.busy) return { ok: false, reason: 'busy', error: 'an open is already in progress', sent };
    this.busy = true;
    try {
      if (this.opts.inputs.openLimit === undefined) {
        return (await this.pulse(deadlineAt, sent)) ?? { ok: true, sent, confirmed: false };
      }
      this.awaitingOpen = true; // the boom may leave the closed limit while the pulse is still on
      const first = await this.pulse(deadlineAt, sent);
      if (first) return this.endAwait(first);
      if (await this.openLimitWithin(this.opts.openTimeoutMs)) return this.confirmed(sent);
      this.opts.log.warn(
        { device: this.opts.device, timeoutMs: this.opts.openTimeoutMs },
        'no open limit: retrying once',
      );
      // The one retry is decided and sent now, on a port that is open now: never a late open.
      const retry = await this.pulse(this.opts.clock.monotonic(), sent);
      if (retry) return this.endAwait(retry);
      if (await this.openLimitWithin(this.opts.openTimeoutMs)) return this.confirmed(sent);
      this.openFault = `no open limit within ${this.opts.openTimeoutMs} ms, after one retry`;
      this.opts.log.error({ device: this.opts.device, err: this.openFault }, 'barrier fault');
      return this.endAwait({ ok: false, reason: 'no-open-limit', error: this.openFault, sent });
    } finally {
      this.busy = false;
    }
  }

  /**
   * Releases a contact left closed (see releaseOwed). Only ever a coil-off: it cannot open the
   * barrier, and the controller closes by its own auto-close, with its own loop and photocell.
   */
  private async releaseIfOwed(): Promise<void> {
    // An open under way sends its own coil-off.
    if (!this.releaseOwed || this.busy || this.releasing || !this.link.isOpen) return;
    this.releasing = true;
    const off = encodeWriteCoil(this.opts.address, this.opts.coil, false);
    try {
      await this.writeCoil(off, Number.POSITIVE_INFINITY, []);
      this.releaseOwed = false;
      this.releaseFault = null;
      this.opts.log.warn(
        { device: this.opts.device, coil: this.opts.coil },
        'released the open contact that may have been left closed',
      );
      this.emit();
    } catch (err) {
      this.opts.log.error(
        { device: this.opts.device, err: (err as Error).message },
        'could not release the open contact; retrying',
      );
    } finally {
      this.releasing = false;
    }
  }

  /** The contact may be closed and its release is not confirmed: owed, and a fault until sent. */
  private owe(err: unknown): void {
    this.releaseOwed = true;
    this.releaseFault = `coil ${this.opts.coil} may be held on (${errorMessage(err)}): its off is sent as soon as the board answers`;
    this.opts.log.error({ device: this.opts.device, err: this.releaseFault }, 'barrier fault');
    this.emit();
  }

  private confirmed(sent: string[]): OpenResult {
    this.openFault = null;
    return this.endAwait({ ok: true, sent, confirmed: true });
  }

  private endAwait(result: OpenResult): OpenResult {
    this.awaitingOpen = false;
    this.emit();
    return result;
  }

  /** Sends one open pulse or flash; returns the failure, or null when the board took it. */
  private async pulse(deadlineAt: number, sent: string[]): Promise<OpenResult | null> {
    const { address, coil } = this.opts;
    const flash = this.opts.mode === 'flash';
    const on = flash
      ? encodeFlash(address, coil, Math.max(1, Math.round(this.opts.pulseMs / 100)))
      : encodeWriteCoil(address, coil, true);
    try {
      await this.writeCoil(on, deadlineAt, sent);
    } catch (err) {
      // Written, then no proper answer (none, or the port lost before it came): the relay may
      // be on. A flash the board releases by itself.
      if (!flash && mayHaveActed(err)) this.owe(err);
      return this.failed(err, sent);
    }
    if (flash) return null;
    this.releaseOwed = true;
    await sleep(this.opts.clock, this.opts.pulseMs);
    try {
      // Part of the same command: releasing the contact is always safe, deadline or not.
      await this.writeCoil(encodeWriteCoil(address, coil, false), Number.POSITIVE_INFINITY, sent);
      this.releaseOwed = false;
      this.releaseFault = null;
      return null;
    } catch (err) {
      this.owe(err);
      return this.failed(err, sent);
    }
  }

  private async writeCoil(request: Buffer, deadlineAt: number, sent: string[]): Promise<void> {
    let frame: Buffer;
    try {
      frame = await this.link.request(request, deadlineAt, frameLength(request), this.opts.responseTimeoutMs);
    } catch (err) {
      // Written but unanswered still counts as sent: the board may have acted on it.
      if (err instanceof LinkError && err.written) sent.push(hex(request));
      throw err;
    }
    sent.push(hex(request));
    decodeWriteCoilResponse(frame, request);
    if (this.boardError) {
      this.boardError = null; // the board answered as it should
      this.emit();
    }
  }

  private failed(err: unknown, sent: string[]): OpenResult {
    const message = errorMessage(err);
    let reason: OpenFailure = 'error';
    // Refused before anything was written: dropped. Once written, the board may have acted:
    // whatever failed after that is an error, never a clean refusal.
    if (err instanceof LinkError && !err.written && (err.reason === 'port-closed' || err.reason === 'deadline'))
      reason = err.reason;
    if (reason === 'error') {
      this.boardError = message;
      this.opts.log.error({ device: this.opts.device, err: message }, 'barrier fault');
      this.emit();
    }
    return { ok: false, reason, error: message, sent };
  }

  private openLimitWithin(ms: number): Promise<boolean> {
    if (this.inputs?.openLimit) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = () => {
        this.opts.clock.clearTimeout(timer);
        resolve(this.inputs?.openLimit === true);
      };
      const timer = this.opts.clock.setTimeout(() => {
        this.openLimitWaiters = this.openLimitWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, ms);
      this.openLimitWaiters.push(waiter);
    });
  }

  private releaseWaiters(): void {
    const waiters = this.openLimitWaiters;
    this.openLimitWaiters = [];
    for (const w of waiters) w();
  }

  /** Every pollMs: an owed release is retried, then the inputs (if any are wired) read. */
  private schedulePoll(): void {
    if (!this.running) return;
    this.pollTimer = this.opts.clock.setTimeout(() => {
      this.pollTimer = null;
      void this.releaseIfOwed()
        .then(() => this.poll())
        .finally(() => this.schedulePoll());
    }, this.opts.pollMs);
  }

  private async poll(): Promise<void> {
    if (!this.inputCount || !this.link.isOpen) return;
    const request = encodeReadInputs(this.opts.address, 0, this.inputCount);
    try {
      const frame = await this.link.request(
        request,
        this.opts.clock.monotonic() + this.opts.pollMs,
        frameLength(request),
        this.opts.responseTimeoutMs,
      );
      const bits = decodeReadInputsResponse(frame, this.opts.address, this.inputCount);
      const inputs: BarrierInputs = {};
      for (const key of ['openLimit', 'closedLimit', 'loop'] as const) {
        const index = this.opts.inputs[key];
        if (index !== undefined) inputs[key] = bits[index] === true;
      }
      this.inputs = inputs;
      this.boardError = null;
      if (inputs.openLimit) {
        this.openFault = null;
        this.releaseWaiters();
      }
    } catch (err) {
      // Port down: the link reports that. Deadline: this poll waited behind another and is
      // stale; the next one will read the inputs.
      if (err instanceof LinkError && (err.reason === 'port-closed' || err.reason === 'deadline')) return;
      const message = `Modbus address ${this.opts.address}: ${(err as Error).message}`;
      if (message !== this.boardError) this.opts.log.error({ err: message }, 'barrier inputs unreadable');
      this.boardError = message;
      this.inputs = null;
    }
    this.emit();
  }

  private limitsConflict(): string | null {
    return this.inputs?.openLimit && this.inputs.closedLimit ? 'open and closed limits both on' : null;
  }

  private stateFromInputs(): BarrierState {
    if (this.inputs?.openLimit) return 'open';
    if (this.inputs?.closedLimit) return 'closed';
    return this.awaitingOpen ? 'opening' : 'unknown';
  }

  private emit(): void {
    const status = this.status();
    const key = JSON.stringify(status);
    if (key === this.lastEmitted) return;
    this.lastEmitted = key;
    this.opts.onStatus?.(status);
  }
}

/**
 * Whether a failed coil write may have reached the board and been acted on: written and then
 * unanswered or answered wrongly. A Modbus exception is the board saying it did nothing.
 */
function mayHaveActed(err: unknown): boolean {
  return err instanceof LinkError ? err.written : !(err instanceof ModbusException);
}
