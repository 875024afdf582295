import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hex } from '../../src/barrier/lcus.js';
import { encodeFlash, encodeReadInputs, encodeWriteCoil, withCrc } from '../../src/barrier/modbus-rtu.js';
import { ModbusRelaySimulator } from '../../src/barrier/modbus-simulator.js';
import { FakeClock } from '../helpers/fake-clock.js';

let clock: FakeClock;
let sim: ModbusRelaySimulator;

beforeEach(() => {
  clock = new FakeClock();
  sim = new ModbusRelaySimulator({ clock, timings: { openMs: 1000, holdOpenMs: 2000, closeMs: 1000 } });
});

afterEach(() => sim.stop());

const inputs = () => hex(sim.handle(encodeReadInputs(1, 0, 3))!);

describe('ModbusRelaySimulator', () => {
  it('answers like a board: echo, inputs, exceptions; silent to others', () => {
    expect(hex(sim.handle(encodeWriteCoil(1, 3, true))!)).toBe(hex(encodeWriteCoil(1, 3, true)));
    expect(sim.relays[3]).toBe(true);
    expect(inputs()).toBe('01 02 01 02 20 49'); // closed limit only
    expect(hex(sim.handle(encodeWriteCoil(1, 8, true))!)).toBe('01 85 02 C3 51');
    expect(hex(sim.handle(withCrc(Buffer.from([1, 5, 0, 0, 0x12, 0x34])))!)).toBe('01 85 03 02 91');
    expect(hex(sim.handle(withCrc(Buffer.from([1, 3, 0, 0, 0, 1])))!)).toBe('01 83 01 80 F0');
    expect(sim.handle(encodeWriteCoil(2, 0, true))).toBeNull();
    expect(sim.handle(Buffer.from('0105000' + '0FF008C3B', 'hex'))).toBeNull();
  });

  it('models the boom: open limit after openMs, auto-close after holdOpenMs, closed after closeMs', () => {
    sim.handle(encodeWriteCoil(1, 0, true));
    expect(sim.boom.position).toBe('opening');
    clock.advance(1000);
    expect(sim.boom.position).toBe('open');
    expect(sim.inputs().slice(0, 3)).toEqual([true, false, false]);
    clock.advance(2000);
    expect(sim.boom.position).toBe('closing');
    clock.advance(1000);
    expect(sim.boom.position).toBe('closed');
  });

  it('a held coil triggers once; the edge matters', () => {
    sim.handle(encodeWriteCoil(1, 0, true));
    clock.advance(4000);
    sim.handle(encodeWriteCoil(1, 0, true));
    expect(sim.boom.position).toBe('closed');
  });

  it('flash: relay on for n × 100 ms, then off by itself', () => {
    sim.handle(encodeFlash(1, 0, 7));
    expect(sim.relays[0]).toBe(true);
    clock.advance(699);
    expect(sim.relays[0]).toBe(true);
    clock.advance(1);
    expect(sim.relays[0]).toBe(false);
    expect(sim.boom.position).toBe('opening');
  });

  it('the loop holds the boom open and reverses it while closing', () => {
    sim.handle(encodeFlash(1, 0, 5));
    clock.advance(1000);
    sim.setLoop(true);
    clock.advance(10_000);
    expect(sim.boom.position).toBe('open');
    sim.setLoop(false);
    expect(sim.boom.position).toBe('closing');
    clock.advance(500);
    sim.setLoop(true);
    expect(sim.boom.position).toBe('opening');
  });
});
