import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModbusRelayDriver, type ModbusDriverOptions } from '../../src/barrier/modbus-driver.js';
import { encodeException } from '../../src/barrier/modbus-rtu.js';
import { ModbusRelaySimulator } from '../../src/barrier/modbus-simulator.js';
import type { BarrierStatus } from '../../src/barrier/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import { FakeSerialDevice, settle } from '../helpers/fake-serial-port.js';

let clock: FakeClock;
let device: FakeSerialDevice;
let sim: ModbusRelaySimulator;
let driver: ModbusRelayDriver;
let statuses: BarrierStatus[];

async function tick(ms: number, step = 50): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(Math.min(step, ms - t));
    await settle();
  }
}

async function makeDriver(overrides: Partial<ModbusDriverOptions> = {}): Promise<void> {
  driver = new ModbusRelayDriver({
    device: '/dev/ttyFAKE',
    baudRate: 9600,
    address: 1,
    coil: 0,
    mode: 'pulse',
    pulseMs: 500,
    openTimeoutMs: 3000,
    inputs: { openLimit: 0, closedLimit: 1, loop: 2 },
    pollMs: 200,
    responseTimeoutMs: 100,
    clock,
    log: silentLogger,
    ports: device.factory,
    onStatus: (s) => statuses.push(s),
    ...overrides,
  });
  await driver.start();
  await settle();
}

const coilWrites = () => device.frames().filter((f) => f.startsWith('01 05'));

beforeEach(() => {
  clock = new FakeClock();
  device = new FakeSerialDevice();
  sim = new ModbusRelaySimulator({ clock, timings: { openMs: 1000, holdOpenMs: 2000, closeMs: 1000 } });
  device.respond = (frame) => sim.handle(frame);
  statuses = [];
});

afterEach(async () => {
  await driver.stop();
  sim.stop();
});

describe('ModbusRelayDriver', () => {
  it('reads the inputs on connect and at each poll, writing no coil', async () => {
    await makeDriver();
    expect(driver.status()).toEqual({
      state: 'closed',
      inputs: { openLimit: false, closedLimit: true, loop: false },
      lastError: null,
      portOpen: true,
    });
    await tick(1000);
    expect(coilWrites()).toEqual([]);
    expect(device.frames().every((f) => f === '01 02 00 00 00 03 38 0B')).toBe(true);
  });

  it('pulses the coil and follows the inputs: opening, open, auto-close, closed', async () => {
    await makeDriver();
    const result = driver.open(clock.monotonic() + 1000);
    await settle();
    expect(driver.status().state).toBe('closed'); // inputs still say closed: the boom has not left yet
    await tick(500);
    expect(coilWrites()).toEqual(['01 05 00 00 FF 00 8C 3A', '01 05 00 00 00 00 CD CA']);
    expect(driver.status().state).toBe('opening');
    await tick(600);
    expect(await result).toEqual({
      ok: true,
      sent: ['01 05 00 00 FF 00 8C 3A', '01 05 00 00 00 00 CD CA'],
      confirmed: true,
    });
    expect(driver.status().state).toBe('open');
    await tick(2000);
    expect(driver.status().state).toBe('unknown'); // closing: between the limits, nothing awaited
    await tick(1200);
    expect(driver.status().state).toBe('closed');
    // unknown first: the port is open, the inputs not read yet.
    expect(statuses.map((s) => s.state)).toEqual(['unknown', 'closed', 'opening', 'open', 'unknown', 'closed']);
  });

  it('flash mode: one write, the board releases the relay by itself', async () => {
    await makeDriver({ mode: 'flash', pulseMs: 700 });
    const result = driver.open(clock.monotonic() + 1000);
    await tick(1200);
    expect(await result).toMatchObject({ ok: true, sent: ['01 05 02 00 00 07 8D B0'], confirmed: true });
    expect(sim.relays[0]).toBe(false);
  });

  it('the loop holds the boom open', async () => {
    await makeDriver();
    sim.setLoop(true);
    const result = driver.open(clock.monotonic() + 1000);
    await tick(5000);
    expect((await result).ok).toBe(true);
    expect(driver.status()).toMatchObject({ state: 'open', inputs: { loop: true } });
    sim.setLoop(false);
    await tick(1200);
    expect(driver.status().state).toBe('closed');
  });

  it('drops a command whose deadline has passed: no coil written', async () => {
    await makeDriver();
    await tick(400);
    expect(await driver.open(clock.monotonic() - 1)).toMatchObject({ ok: false, reason: 'deadline', sent: [] });
    await tick(1000);
    expect(coilWrites()).toEqual([]);
  });

  it('no open limit: exactly one retry, then fault', async () => {
    await makeDriver();
    device.respond = (frame) => (frame[1] === 5 ? Buffer.from(frame) : sim.handle(frame)); // the board answers, the boom never moves
    const result = driver.open(clock.monotonic() + 1000);
    await tick(3500 + 3500 + 500);
    expect(await result).toMatchObject({ ok: false, reason: 'no-open-limit' });
    expect(coilWrites()).toEqual([
      '01 05 00 00 FF 00 8C 3A',
      '01 05 00 00 00 00 CD CA',
      '01 05 00 00 FF 00 8C 3A',
      '01 05 00 00 00 00 CD CA',
    ]);
    expect(driver.status()).toMatchObject({
      state: 'fault',
      lastError: 'no open limit within 3000 ms, after one retry',
    });
    await tick(10_000);
    expect(coilWrites()).toHaveLength(4);
  });

  it('unplugged: fault, commands refused, reopen reads inputs and writes no coil', async () => {
    await makeDriver();
    device.unplug();
    await settle();
    expect(driver.status()).toMatchObject({ state: 'fault', portOpen: false, inputs: null });
    expect(await driver.open(clock.monotonic() + 10_000)).toMatchObject({ ok: false, reason: 'port-closed', sent: [] });
    device.plug();
    await tick(2000);
    expect(driver.status()).toMatchObject({ state: 'closed', portOpen: true, lastError: null });
    expect(coilWrites()).toEqual([]);
  });

  it('port lost after the coil-on was written, before the answer: maybe sent, a fault, and the coil-off sent on replug', async () => {
    await makeDriver();
    // The board acts on the coil-on; its answer is lost with the cable.
    device.respond = (frame) => {
      const answer = sim.handle(frame);
      return frame[1] === 5 ? null : answer;
    };
    const result = driver.open(clock.monotonic() + 1000);
    await settle();
    expect(coilWrites()).toEqual(['01 05 00 00 FF 00 8C 3A']);
    expect(sim.relays[0]).toBe(true);
    device.unplug();
    await settle();
    expect(await result).toMatchObject({
      ok: false,
      reason: 'error',
      sent: ['01 05 00 00 FF 00 8C 3A'],
      error: expect.stringContaining('after the request was written'),
    });
    expect(driver.status()).toMatchObject({
      state: 'fault',
      lastError: expect.stringContaining('coil 0 may be held on'),
    });
    device.respond = (frame) => sim.handle(frame);
    device.plug();
    await tick(1000);
    // Exactly the release, then the inputs: never another coil-on.
    expect(coilWrites()).toEqual(['01 05 00 00 FF 00 8C 3A', '01 05 00 00 00 00 CD CA']);
    expect(sim.relays[0]).toBe(false);
    expect(driver.status()).toMatchObject({ portOpen: true, lastError: null });
    expect(driver.status().state).not.toBe('fault');
    expect(statuses.some((s) => s.state === 'fault' && s.lastError?.includes('may be held on'))).toBe(true);
  });

  it('a coil-on written and never answered: the coil-off is retried at each poll until the board takes it', async () => {
    await makeDriver();
    device.respond = () => null; // the board is mute (its answers lost): it still acts on writes
    const result = driver.open(clock.monotonic() + 1000);
    await tick(200);
    expect(await result).toMatchObject({ ok: false, reason: 'error', sent: ['01 05 00 00 FF 00 8C 3A'] });
    expect(driver.status()).toMatchObject({
      state: 'fault',
      lastError: expect.stringContaining('coil 0 may be held on'),
    });
    await tick(1000);
    expect(coilWrites().filter((f) => f === '01 05 00 00 00 00 CD CA').length).toBeGreaterThan(1); // retried, still unanswered
    expect(driver.status().state).toBe('fault');
    device.respond = (frame) => sim.handle(frame);
    await tick(1000);
    expect(driver.status()).toMatchObject({ state: 'closed', lastError: null });
    const offs = coilWrites().length;
    await tick(2000);
    expect(coilWrites()).toHaveLength(offs); // released: no more writes
    expect(coilWrites().filter((f) => f === '01 05 00 00 FF 00 8C 3A')).toHaveLength(1);
  });

  it('a refused coil-on (Modbus exception) owes no release', async () => {
    await makeDriver({ inputs: {} });
    device.respond = () => encodeException(1, 5, 4);
    expect(await driver.open(clock.monotonic() + 1000)).toMatchObject({
      ok: false,
      reason: 'error',
      sent: ['01 05 00 00 FF 00 8C 3A'],
    });
    device.respond = (frame) => sim.handle(frame);
    await tick(2000);
    expect(coilWrites()).toEqual(['01 05 00 00 FF 00 8C 3A']);
  });

  it('a board that does not answer is a fault, named', async () => {
    device.respond = () => null;
    await makeDriver();
    await tick(400);
    expect(driver.status()).toMatchObject({
      state: 'fault',
      lastError: 'Modbus address 1: /dev/ttyFAKE: no response within 100 ms',
    });
    device.respond = (frame) => sim.handle(frame);
    await tick(400);
    expect(driver.status().state).toBe('closed');
  });

  it('an exception from the board fails the open and names it', async () => {
    await makeDriver({ coil: 9 });
    const result = await driver.open(clock.monotonic() + 1000);
    expect(result).toMatchObject({
      ok: false,
      reason: 'error',
      error: 'Modbus exception 2 (illegal data address) to function 5',
    });
    expect(driver.status().state).toBe('fault');
  });

  it('a board error clears when the board next answers a write as it should', async () => {
    await makeDriver({ inputs: {}, mode: 'flash' });
    device.respond = () => encodeException(1, 5, 4); // server device failure
    expect(await driver.open(clock.monotonic() + 1000)).toMatchObject({
      ok: false,
      reason: 'error',
      error: 'Modbus exception 4 (server device failure) to function 5',
    });
    expect(driver.status().state).toBe('fault');
    device.respond = (frame) => sim.handle(frame);
    expect(await driver.open(clock.monotonic() + 1000)).toMatchObject({ ok: true, confirmed: false });
    expect(driver.status()).toMatchObject({ state: 'unknown', lastError: null });
  });

  it('without inputs: unknown, the open is sent but not confirmed', async () => {
    await makeDriver({ inputs: {} });
    expect(driver.status()).toEqual({ state: 'unknown', inputs: null, lastError: null, portOpen: true });
    const result = driver.open(clock.monotonic() + 1000);
    await tick(600);
    expect(await result).toMatchObject({ ok: true, confirmed: false });
    expect(device.frames().filter((f) => f.startsWith('01 02'))).toEqual([]);
  });
});
