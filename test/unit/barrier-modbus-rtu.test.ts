import { describe, expect, it } from 'vitest';
import { hex } from '../../src/barrier/lcus.js';
import {
  crc16Modbus,
  decodeReadInputsResponse,
  decodeRequest,
  decodeWriteCoilResponse,
  encodeException,
  encodeFlash,
  encodeReadInputs,
  encodeReadInputsResponse,
  encodeWriteCoil,
  expectedResponseLength,
  ModbusException,
} from '../../src/barrier/modbus-rtu.js';

const b = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');

describe('CRC-16/MODBUS', () => {
  it('matches the check value of the catalogue (123456789 → 0x4B37)', () => {
    expect(crc16Modbus(Buffer.from('123456789'))).toBe(0x4b37);
  });
});

describe('Modbus RTU requests', () => {
  it.each([
    ['coil 0 on, address 1', () => encodeWriteCoil(1, 0, true), '01 05 00 00 FF 00 8C 3A'],
    ['coil 0 off, address 1', () => encodeWriteCoil(1, 0, false), '01 05 00 00 00 00 CD CA'],
    ['read 8 inputs from 0, address 1', () => encodeReadInputs(1, 0, 8), '01 02 00 00 00 08 79 CC'],
    // Waveshare Modbus RTU Relay wiki, "flash on" example: relay 0 for 700 ms.
    ['flash relay 0 for 7 × 100 ms', () => encodeFlash(1, 0, 7), '01 05 02 00 00 07 8D B0'],
  ])('%s', (_what, encode, bytes) => {
    expect(hex(encode())).toBe(bytes);
  });

  it('refuses out-of-range fields, naming them', () => {
    expect(() => encodeWriteCoil(0, 0, true)).toThrow(/address must be 1..247, got 0/);
    expect(() => encodeWriteCoil(248, 0, true)).toThrow(/address must be 1..247/);
    expect(() => encodeWriteCoil(1, 70000, true)).toThrow(/coil must be/);
    expect(() => encodeFlash(1, 0, 0)).toThrow(/flash time/);
    expect(() => encodeReadInputs(1, 0, 0)).toThrow(/input count/);
  });

  it('decodes requests as the simulator sees them', () => {
    expect(decodeRequest(b('01 05 00 00 FF 00 8C 3A'))).toEqual({ address: 1, fn: 5, coil: 0, value: 0xff00 });
    expect(decodeRequest(b('01 02 00 00 00 08 79 CC'))).toEqual({ address: 1, fn: 2, start: 0, count: 8 });
    expect(decodeRequest(b('01 05 02 00 00 07 8D B0'))).toEqual({ address: 1, fn: 5, coil: 0x0200, value: 7 });
    expect(() => decodeRequest(b('01 05 00 00 FF 00 8C 3B'))).toThrow(/CRC mismatch/);
  });

  it('knows the response lengths for length-based framing', () => {
    expect(expectedResponseLength(encodeWriteCoil(1, 0, true))).toBe(8);
    expect(expectedResponseLength(encodeReadInputs(1, 0, 3))).toBe(6);
    expect(expectedResponseLength(encodeReadInputs(1, 0, 9))).toBe(7);
  });
});

describe('Modbus RTU responses', () => {
  it('accepts a write-coil echo, refuses anything else', () => {
    const req = encodeWriteCoil(1, 0, true);
    expect(() => decodeWriteCoilResponse(req, req)).not.toThrow();
    expect(() => decodeWriteCoilResponse(encodeWriteCoil(1, 0, false), req)).toThrow(/does not echo/);
    expect(() => decodeWriteCoilResponse(encodeWriteCoil(2, 0, true), req)).toThrow(/from address 2, expected 1/);
  });

  it.each([
    ['inputs 0 and 2 on of 3', '01 02 01 05 61 8B', 3, [true, false, true]],
    ['none of 8', '01 02 01 00 A1 88', 8, [false, false, false, false, false, false, false, false]],
  ])('reads %s', (_what, bytes, count, bits) => {
    expect(hex(encodeReadInputsResponse(1, bits))).toBe(bytes);
    expect(decodeReadInputsResponse(b(bytes), 1, count)).toEqual(bits);
  });

  it('packs inputs past 8 into a second byte, LSB first', () => {
    const bits = [false, false, false, false, false, false, false, false, true];
    const frame = encodeReadInputsResponse(1, bits);
    expect(hex(frame.subarray(0, 5))).toBe('01 02 02 00 01');
    expect(decodeReadInputsResponse(frame, 1, 9)).toEqual(bits);
  });

  it('turns an exception response into a ModbusException', () => {
    const frame = encodeException(1, 5, 2);
    expect(hex(frame)).toBe('01 85 02 C3 51');
    expect(() => decodeWriteCoilResponse(frame, encodeWriteCoil(1, 0, true))).toThrow(ModbusException);
    expect(() => decodeReadInputsResponse(encodeException(1, 2, 1), 1, 3)).toThrow(
      /exception 1 \(illegal function\) to function 2/,
    );
  });

  it('refuses a corrupted or short response', () => {
    expect(() => decodeReadInputsResponse(b('01 02 01 05 61 8C'), 1, 3)).toThrow(/CRC mismatch/);
    expect(() => decodeReadInputsResponse(b('01 02 01'), 1, 3)).toThrow(/too short/);
    expect(() => decodeReadInputsResponse(encodeReadInputsResponse(1, [true]), 1, 9)).toThrow(
      /1 data bytes, expected 2/,
    );
  });
});
