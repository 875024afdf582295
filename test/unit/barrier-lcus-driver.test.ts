import { beforeEach, describe, expect, it } from 'vitest';
import { LcusDriver } from '../../src/barrier/lcus-driver.js';
import type { BarrierStatus } from '../../src/barrier/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import { FakeSerialDevice, settle } from '../helpers/fake-serial-port.js';

let clock: FakeClock;
let device: FakeSerialDevice;
let driver: LcusDriver;
let statuses: BarrierStatus[];

async function tick(ms: number): Promise<void> {
  clock.advance(ms);
  await settle();
}

beforeEach(async () => {
  clock = new FakeClock();
  device = new FakeSerialDevice();
  statuses = [];
  driver = new LcusDriver({
    device: '/dev/ttyFAKE',
    baudRate: 9600,
    channel: 2,
    pulseMs: 500,
    clock,
    log: silentLogger,
    ports: device.factory,
    onStatus: (s) => statuses.push(s),
  });
  await driver.start();
  await settle();
});

describe('LcusDriver', () => {
  it('pulses: on, pulseMs, off; state unknown (no inputs)', async () => {
    expect(driver.status()).toEqual({ state: 'unknown', inputs: null, lastError: null, portOpen: true });
    const result = driver.open(clock.monotonic() + 1000);
    await settle();
    expect(device.frames()).toEqual(['A0 02 01 A3']);
    await tick(499);
    expect(device.frames()).toEqual(['A0 02 01 A3']);
    await tick(1);
    expect(device.frames()).toEqual(['A0 02 01 A3', 'A0 02 00 A2']);
    expect(await result).toEqual({ ok: true, sent: ['A0 02 01 A3', 'A0 02 00 A2'], confirmed: false });
  });

  it('drops a command whose deadline has passed: nothing written', async () => {
    await tick(1000);
    const result = await driver.open(clock.monotonic() - 1);
    expect(result).toMatchObject({ ok: false, reason: 'deadline', sent: [] });
    expect(device.written).toEqual([]);
  });

  it('sends the off frame even when the deadline passes mid-pulse', async () => {
    const result = driver.open(clock.monotonic() + 100);
    await settle();
    await tick(500);
    expect((await result).ok).toBe(true);
    expect(device.frames()).toEqual(['A0 02 01 A3', 'A0 02 00 A2']);
  });

  it('refuses while unplugged (fault), does not queue, and writes nothing on reopen', async () => {
    device.unplug();
    await settle();
    expect(driver.status()).toMatchObject({
      state: 'fault',
      portOpen: false,
      lastError: '/dev/ttyFAKE: device disconnected',
    });
    expect(statuses.at(-1)?.state).toBe('fault');
    const result = await driver.open(clock.monotonic() + 10_000);
    expect(result).toMatchObject({ ok: false, reason: 'port-closed' });
    await tick(500); // first reopen attempt fails: still unplugged
    expect(device.opens).toBe(1);
    device.plug();
    await tick(1000); // second attempt, after the doubled back-off
    expect(device.opens).toBe(2);
    expect(driver.status()).toMatchObject({ state: 'unknown', portOpen: true, lastError: null });
    await tick(20_000);
    expect(device.written).toEqual([]);
  });

  it('port lost mid-pulse: fault until the owed off frame is sent on reopening, and nothing else', async () => {
    const result = driver.open(clock.monotonic() + 1000);
    await settle();
    device.unplug();
    await settle();
    await tick(500); // the pulse ends while the port is still gone
    expect(await result).toMatchObject({ ok: false, reason: 'port-closed', sent: ['A0 02 01 A3'] });
    expect(driver.status()).toMatchObject({
      state: 'fault',
      lastError: expect.stringContaining('channel 2 may be held on'),
    });
    await tick(500); // a reopen attempt while still unplugged: the fault stays
    expect(driver.status()).toMatchObject({ state: 'fault', lastError: expect.stringContaining('may be held on') });
    device.plug();
    await tick(1000);
    expect(device.opens).toBe(2);
    expect(device.frames()).toEqual(['A0 02 01 A3', 'A0 02 00 A2']);
    expect(driver.status()).toMatchObject({ state: 'unknown', portOpen: true, lastError: null });
    await tick(10_000);
    expect(device.frames()).toEqual(['A0 02 01 A3', 'A0 02 00 A2']);
  });

  it('the owed off frame that fails on the reopened port keeps the fault, and is sent at the next reopening', async () => {
    const result = driver.open(clock.monotonic() + 1000);
    await settle();
    device.unplug();
    await tick(500);
    expect((await result).ok).toBe(false);
    device.writeError = new Error('Input/output error');
    device.plug();
    await tick(500);
    expect(driver.status()).toMatchObject({ state: 'fault', lastError: expect.stringContaining('may be held on') });
    device.writeError = null;
    await tick(2000);
    expect(device.frames()).toEqual(['A0 02 01 A3', 'A0 02 00 A2']);
    expect(driver.status()).toMatchObject({ state: 'unknown', lastError: null });
  });

  it('refuses a second open while a pulse is in progress', async () => {
    const first = driver.open(clock.monotonic() + 1000);
    await settle();
    expect(await driver.open(clock.monotonic() + 1000)).toMatchObject({ ok: false, reason: 'busy' });
    await tick(500);
    expect((await first).ok).toBe(true);
    expect(device.written).toHaveLength(2);
  });

  it('names a bad channel at construction', () => {
    expect(
      () => new LcusDriver({ device: 'x', baudRate: 9600, channel: 0, pulseMs: 1, clock, log: silentLogger }),
    ).toThrow(/channel must be/);
  });
});
