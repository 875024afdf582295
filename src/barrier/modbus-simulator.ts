import type { Clock, Timer } from '../core/clock.js';
import { BoomModel, type BoomTimings } from './boom-model.js';
import {
  decodeRequest,
  encodeException,
  encodeReadInputsResponse,
  FC_READ_DISCRETE_INPUTS,
  FC_WRITE_SINGLE_COIL,
  FLASH_OFF,
  FLASH_ON,
} from './modbus-rtu.js';

export const SIM_RELAYS = 8;
export const SIM_INPUTS = 8;

export interface SimulatorOptions {
  clock: Clock;
  address?: number;
  /** The relay wired to the controller's "open" input. */
  openRelay?: number;
  /** Which discrete input carries what. */
  inputs?: { openLimit: number; closedLimit: number; loop: number };
  timings?: Partial<BoomTimings>;
}

export const SIM_DEFAULT_INPUTS = { openLimit: 0, closedLimit: 1, loop: 2 };
/**
 * Quicker than real booms: paced to the demo clip, where a vehicle comes every 5 s and its read
 * can be late by a second or two on a loaded machine; the boom is down again ~2 s after an open.
 */
export const SIM_DEFAULT_TIMINGS: BoomTimings = { openMs: 600, holdOpenMs: 600, closeMs: 600 };

/**
 * A Modbus RTU relay board (8 relays, 8 discrete inputs) with a barrier and a loop behind it,
 * for the demo and the tests. `handle` answers one request frame like the board: 05 (coil
 * FF00/0000, and the Waveshare flash 0x02nn/0x04nn), 02, exceptions for the rest; silence for
 * other addresses and bad CRCs. Time is the injected clock's. The serial side is in
 * modbus-simulator-port.ts.
 */
export class ModbusRelaySimulator {
  readonly boom: BoomModel;
  readonly address: number;
  readonly relays: boolean[] = new Array<boolean>(SIM_RELAYS).fill(false);
  /** Every request received, valid or not, in order. */
  readonly requests: Buffer[] = [];
  private readonly openRelay: number;
  private readonly inputMap: { openLimit: number; closedLimit: number; loop: number };
  private readonly flashTimers = new Map<number, Timer>();

  constructor(private readonly opts: SimulatorOptions) {
    this.address = opts.address ?? 1;
    this.openRelay = opts.openRelay ?? 0;
    this.inputMap = opts.inputs ?? SIM_DEFAULT_INPUTS;
    this.boom = new BoomModel(opts.clock, { ...SIM_DEFAULT_TIMINGS, ...opts.timings });
  }

  /** Write-coil requests received (anything that could move the barrier). */
  writes(): Buffer[] {
    return this.requests.filter((r) => r[1] === FC_WRITE_SINGLE_COIL);
  }

  setLoop(occupied: boolean): void {
    this.boom.setLoop(occupied);
  }

  inputs(): boolean[] {
    const bits = new Array<boolean>(SIM_INPUTS).fill(false);
    bits[this.inputMap.openLimit] = this.boom.position === 'open';
    bits[this.inputMap.closedLimit] = this.boom.position === 'closed';
    bits[this.inputMap.loop] = this.boom.loopOccupied;
    return bits;
  }

  stop(): void {
    this.boom.stop();
    for (const t of this.flashTimers.values()) this.opts.clock.clearTimeout(t);
    this.flashTimers.clear();
  }

  handle(frame: Buffer): Buffer | null {
    this.requests.push(Buffer.from(frame));
    let req;
    try {
      req = decodeRequest(frame);
    } catch {
      return null; // a real slave stays silent on a bad CRC
    }
    if (req.address !== this.address) return null;
    if ('unsupported' in req) return encodeException(this.address, req.fn, 1);
    if (req.fn === FC_READ_DISCRETE_INPUTS) {
      if (req.count < 1 || req.start + req.count > SIM_INPUTS) return encodeException(this.address, req.fn, 2);
      return encodeReadInputsResponse(this.address, this.inputs().slice(req.start, req.start + req.count));
    }
    const command = req.coil >>> 8;
    const relay = req.coil & 0xff;
    if (relay >= SIM_RELAYS || (command !== 0 && command !== FLASH_ON && command !== FLASH_OFF)) {
      return encodeException(this.address, req.fn, 2);
    }
    if (command === 0) {
      if (req.value !== 0xff00 && req.value !== 0) return encodeException(this.address, req.fn, 3);
      this.setRelay(relay, req.value === 0xff00);
    } else {
      this.flash(relay, command === FLASH_ON, req.value * 100);
    }
    return Buffer.from(frame); // the normal response echoes the request
  }

  private flash(relay: number, on: boolean, ms: number): void {
    const previous = this.flashTimers.get(relay);
    if (previous) this.opts.clock.clearTimeout(previous);
    this.setRelay(relay, on);
    this.flashTimers.set(
      relay,
      this.opts.clock.setTimeout(() => {
        this.flashTimers.delete(relay);
        this.setRelay(relay, !on);
      }, ms),
    );
  }

  private setRelay(relay: number, on: boolean): void {
    const was = this.relays[relay];
    this.relays[relay] = on;
    if (relay === this.openRelay && on && !was) this.boom.trigger();
  }
}
