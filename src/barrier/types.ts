import type { Service } from '../core/service.js';

/**
 * One barrier behind one interface, whatever drives it. smartgate only ever asks the barrier
 * to open; closing is the controller's own auto-close with its loop and photocell.
 *
 * Deadlines are on the injected clock's monotonic time (`clock.monotonic()`): a command whose
 * deadline has passed is dropped, never queued for later.
 */
export type BarrierState = 'closed' | 'opening' | 'open' | 'unknown' | 'fault';

/** The discrete inputs, when wired; a field is absent when that input is not wired. (Types, not interfaces: they go on the wire as they are.) */
export type BarrierInputs = {
  openLimit?: boolean;
  closedLimit?: boolean;
  loop?: boolean;
};

export type BarrierStatus = {
  state: BarrierState;
  /** Null when no input is wired (LCUS boards have none). */
  inputs: BarrierInputs | null;
  /** Why the state is `fault`, or the last error seen; null when none. */
  lastError: string | null;
  portOpen: boolean;
};

export type OpenFailure =
  /** The deadline passed before the open could be sent: dropped. */
  | 'deadline'
  /** The port is not open (unplugged, reopening): dropped, not queued. */
  | 'port-closed'
  /** An open is already in progress; this one was not sent. */
  | 'busy'
  /** The board refused or did not answer. */
  | 'error'
  /** No open limit within openTimeoutMs, even after the one retry. */
  | 'no-open-limit';

export type OpenResult =
  { ok: true; sent: string[]; confirmed: boolean } | { ok: false; reason: OpenFailure; error: string; sent: string[] };

export interface BarrierDriver extends Service {
  /** Asks the barrier to open, if this can still be done before `deadlineAt` (monotonic ms). */
  open(deadlineAt: number): Promise<OpenResult>;
  status(): BarrierStatus;
}

/** Called on every change of the status (state, inputs, port, error). */
export type BarrierStatusListener = (status: BarrierStatus) => void;
