/**
 * Modbus RTU frames for relay modules: function 05 (write single coil), 02 (read discrete
 * inputs), exception responses, and the boards' timed "flash". Pure functions; see
 * test/unit/barrier-modbus-rtu.test.ts for byte tables (Modbus Application Protocol v1.1b3,
 * §6.5 and §6.2; Modbus over serial line v1.02, §2.5.1.2 and appendix B for the CRC).
 *
 * A frame is: address, function, data..., CRC-16/MODBUS low byte first.
 */
export const FC_READ_DISCRETE_INPUTS = 0x02;
export const FC_WRITE_SINGLE_COIL = 0x05;

/**
 * "Flash" (board-specific, configurable per lane as `mode: flash`): the Waveshare "Modbus RTU
 * Relay" boards, protocol V2 (https://www.waveshare.com/wiki/Modbus_RTU_Relay, "Development
 * Protocol", flash on/off), take function 05 with the coil address's high byte 0x02 (flash on:
 * the relay closes for value × 100 ms, then opens by itself) or 0x04 (flash off), its low byte
 * the relay number, and the time in 100 ms steps as the value: relay 0 for 700 ms is
 * `01 05 02 00 00 07 8D B0`. Other vendors' boards (Eletechsup and clones) use other layouts or
 * none; a board that does not know flash answers exception 02/03, so use `mode: pulse` there.
 * The point of flash: the contact releases by itself even if this computer dies mid-pulse.
 */
export const FLASH_ON = 0x02;
export const FLASH_OFF = 0x04;

export function crc16Modbus(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** Appends the CRC, low byte first. */
export function withCrc(body: Uint8Array): Buffer {
  const crc = crc16Modbus(body);
  return Buffer.concat([Buffer.from(body), Buffer.from([crc & 0xff, crc >>> 8])]);
}

export function crcOk(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const crc = crc16Modbus(frame.subarray(0, frame.length - 2));
  return frame[frame.length - 2] === (crc & 0xff) && frame[frame.length - 1] === crc >>> 8;
}

function checkAddress(address: number): void {
  if (!Number.isInteger(address) || address < 1 || address > 247) {
    throw new RangeError(`Modbus address must be 1..247, got ${address}`);
  }
}

function check16(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff)
    throw new RangeError(`${what} must be 0..65535, got ${value}`);
}

function writeCoilValue(address: number, coil: number, value: number): Buffer {
  checkAddress(address);
  check16('coil', coil);
  return withCrc(Buffer.from([address, FC_WRITE_SINGLE_COIL, coil >>> 8, coil & 0xff, value >>> 8, value & 0xff]));
}

/** 05: coil on (FF00) or off (0000). The normal response echoes the request. */
export function encodeWriteCoil(address: number, coil: number, on: boolean): Buffer {
  return writeCoilValue(address, coil, on ? 0xff00 : 0x0000);
}

/** Flash on (Waveshare V2 layout, above): relay `coil` closes for tenths × 100 ms, then opens. */
export function encodeFlash(address: number, coil: number, tenths: number): Buffer {
  if (!Number.isInteger(coil) || coil < 0 || coil > 0xff)
    throw new RangeError(`flash relay must be 0..255, got ${coil}`);
  if (!Number.isInteger(tenths) || tenths < 1 || tenths > 0xffff) {
    throw new RangeError(`flash time must be 1..65535 tenths of a second, got ${tenths}`);
  }
  return writeCoilValue(address, (FLASH_ON << 8) | coil, tenths);
}

/** 02: read `count` discrete inputs from `start`. */
export function encodeReadInputs(address: number, start: number, count: number): Buffer {
  checkAddress(address);
  check16('start input', start);
  if (!Number.isInteger(count) || count < 1 || count > 2000)
    throw new RangeError(`input count must be 1..2000, got ${count}`);
  return withCrc(Buffer.from([address, FC_READ_DISCRETE_INPUTS, start >>> 8, start & 0xff, count >>> 8, count & 0xff]));
}

export class ModbusException extends Error {
  constructor(
    readonly fn: number,
    readonly code: number,
  ) {
    super(`Modbus exception ${code} (${EXCEPTION_NAMES[code] ?? 'unknown'}) to function ${fn}`);
  }
}

export const EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  6: 'server device busy',
};

export function encodeException(address: number, fn: number, code: number): Buffer {
  return withCrc(Buffer.from([address, fn | 0x80, code]));
}

/** Checks address, CRC and exception; returns the PDU (function + data) without the CRC. */
function openResponse(frame: Uint8Array, address: number, fn: number): Uint8Array {
  if (frame.length < 5) throw new Error(`Modbus response too short: ${frame.length} bytes`);
  if (!crcOk(frame)) throw new Error('Modbus response CRC mismatch');
  if (frame[0] !== address) throw new Error(`Modbus response from address ${frame[0]}, expected ${address}`);
  if (frame[1] === (fn | 0x80)) throw new ModbusException(fn, frame[2]!);
  if (frame[1] !== fn) throw new Error(`Modbus response function ${frame[1]}, expected ${fn}`);
  return frame.subarray(1, frame.length - 2);
}

/** A 05 response must echo the request byte for byte. */
export function decodeWriteCoilResponse(frame: Uint8Array, request: Uint8Array): void {
  openResponse(frame, request[0]!, FC_WRITE_SINGLE_COIL);
  if (Buffer.compare(Buffer.from(frame), Buffer.from(request)) !== 0)
    throw new Error('Modbus write-coil response does not echo the request');
}

/** A 02 response: byte count, then inputs packed LSB first. Returns `count` booleans. */
export function decodeReadInputsResponse(frame: Uint8Array, address: number, count: number): boolean[] {
  const pdu = openResponse(frame, address, FC_READ_DISCRETE_INPUTS);
  const byteCount = Math.ceil(count / 8);
  if (pdu[1] !== byteCount || pdu.length !== 2 + byteCount) {
    throw new Error(`Modbus read-inputs response has ${pdu[1]} data bytes, expected ${byteCount}`);
  }
  const bits: boolean[] = [];
  for (let i = 0; i < count; i++) bits.push(((pdu[2 + (i >> 3)]! >> (i & 7)) & 1) === 1);
  return bits;
}

export function encodeReadInputsResponse(address: number, bits: boolean[]): Buffer {
  const bytes = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((on, i) => {
    if (on) bytes[i >> 3]! |= 1 << (i & 7);
  });
  return withCrc(Buffer.concat([Buffer.from([address, FC_READ_DISCRETE_INPUTS, bytes.length]), bytes]));
}

/** Expected length of the response to a request (normal case), for length-based framing. */
export function expectedResponseLength(request: Uint8Array): number {
  if (request[1] === FC_WRITE_SINGLE_COIL) return 8;
  if (request[1] === FC_READ_DISCRETE_INPUTS) return 5 + Math.ceil(((request[4]! << 8) | request[5]!) / 8);
  throw new Error(`no response length known for function ${request[1]}`);
}

/** A request as the simulator sees it. */
export type ModbusRequest =
  | { address: number; fn: typeof FC_WRITE_SINGLE_COIL; coil: number; value: number }
  | { address: number; fn: typeof FC_READ_DISCRETE_INPUTS; start: number; count: number }
  | { address: number; fn: number; unsupported: true };

export function decodeRequest(frame: Uint8Array): ModbusRequest {
  if (frame.length < 4) throw new Error(`Modbus request too short: ${frame.length} bytes`);
  if (!crcOk(frame)) throw new Error('Modbus request CRC mismatch');
  const address = frame[0]!;
  const fn = frame[1]!;
  const a = ((frame[2] ?? 0) << 8) | (frame[3] ?? 0);
  const b = ((frame[4] ?? 0) << 8) | (frame[5] ?? 0);
  if (frame.length === 8 && fn === FC_WRITE_SINGLE_COIL) return { address, fn, coil: a, value: b };
  if (frame.length === 8 && fn === FC_READ_DISCRETE_INPUTS) return { address, fn, start: a, count: b };
  return { address, fn, unsupported: true };
}
