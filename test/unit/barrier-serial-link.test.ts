import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SerialLink } from '../../src/barrier/serial-link.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import { FakeSerialDevice, settle } from '../helpers/fake-serial-port.js';

let clock: FakeClock;
let device: FakeSerialDevice;
let link: SerialLink;
let changes: [boolean, string | null][];

beforeEach(async () => {
  clock = new FakeClock();
  device = new FakeSerialDevice();
  changes = [];
  link = new SerialLink({
    path: '/dev/ttyFAKE',
    baudRate: 9600,
    clock,
    log: silentLogger,
    ports: device.factory,
    onPortChange: (open, error) => changes.push([open, error]),
  });
  link.start();
  await settle();
});

afterEach(() => link.stop());

const bytes = (s: string) => Buffer.from(s, 'hex');
const fixed = (n: number) => (buf: Buffer) => (buf.length ? n : null);

describe('SerialLink', () => {
  it('writes the exact bytes while open and the deadline holds', async () => {
    await link.write(bytes('a00101a2'), clock.monotonic());
    expect(device.frames()).toEqual(['A0 01 01 A2']);
  });

  it('refuses after the deadline, naming it', async () => {
    await expect(link.write(bytes('a00101a2'), clock.monotonic() - 5)).rejects.toThrow(
      '/dev/ttyFAKE: deadline passed 5 ms ago, not sent',
    );
    expect(device.written).toEqual([]);
  });

  it('refuses while the port is down, and does not send it on reopen', async () => {
    device.unplug();
    await settle();
    expect(changes).toEqual([
      [true, null],
      [false, '/dev/ttyFAKE: device disconnected'],
    ]);
    await expect(link.write(bytes('a00101a2'), clock.monotonic() + 60_000)).rejects.toMatchObject({
      reason: 'port-closed',
    });
    device.plug();
    clock.advance(500);
    await settle();
    expect(link.isOpen).toBe(true);
    clock.advance(60_000);
    await settle();
    expect(device.written).toEqual([]);
  });

  it('a failed write is the device gone: refused as port-closed naming the error, port lost, reopened later', async () => {
    device.writeError = new Error('Input/output error');
    await expect(link.request(bytes('a00101a2'), clock.monotonic() + 60_000, fixed(4), 1000)).rejects.toMatchObject({
      reason: 'port-closed',
      message: '/dev/ttyFAKE: write failed: Input/output error',
    });
    expect(link.isOpen).toBe(false);
    expect(changes).toEqual([
      [true, null],
      [false, '/dev/ttyFAKE: Input/output error'],
    ]);
    await expect(link.write(bytes('a00101a2'), clock.monotonic() + 60_000)).rejects.toMatchObject({
      reason: 'port-closed',
    });
    device.writeError = null;
    clock.advance(500);
    await settle();
    expect(link.isOpen).toBe(true);
    await link.write(bytes('a00101a3'), clock.monotonic() + 60_000);
    expect(device.frames()).toEqual(['A0 01 01 A3']);
  });

  it('a request whose port is lost after it was written fails as written (the device may have acted); one refused before, as not written', async () => {
    const lost = link.request(bytes('0105'), clock.monotonic() + 1000, fixed(8), 1000);
    await settle();
    expect(device.frames()).toEqual(['01 05']);
    device.unplug();
    await expect(lost).rejects.toMatchObject({
      reason: 'port-closed',
      written: true,
      message: '/dev/ttyFAKE: device disconnected, after the request was written',
    });
    await expect(link.request(bytes('0105'), clock.monotonic() + 1000, fixed(8), 1000)).rejects.toMatchObject({
      reason: 'port-closed',
      written: false,
    });
    device.plug();
    clock.advance(500);
    await settle();
    device.writeError = new Error('Input/output error');
    await expect(link.request(bytes('0105'), clock.monotonic() + 1000, fixed(8), 1000)).rejects.toMatchObject({
      reason: 'port-closed',
      written: false,
    });
    expect(device.frames()).toEqual(['01 05']);
  });

  it('a request written and never answered times out as written', async () => {
    const silent = link.request(bytes('0105'), clock.monotonic() + 1000, fixed(8), 100);
    await settle();
    clock.advance(100);
    await expect(silent).rejects.toMatchObject({ reason: 'timeout', written: true });
  });

  it('backs off 0.5 s doubling to 5 s while the device is missing, and from 0.5 s again once it was open', async () => {
    await link.stop();
    const attempts: number[] = [];
    link = new SerialLink({
      path: '/dev/ttyFAKE',
      baudRate: 9600,
      clock,
      log: silentLogger,
      ports: (p, b) => {
        attempts.push(clock.monotonic());
        return device.factory(p, b);
      },
    });
    device.unplug();
    link.start();
    await settle();
    const run = async (ms: number) => {
      for (let t = 0; t < ms; t += 100) {
        clock.advance(100);
        await settle();
      }
    };
    await run(20_000);
    const gaps = () => attempts.map((t, i) => t - (attempts[i - 1] ?? t)).slice(1);
    expect(gaps()).toEqual([500, 1000, 2000, 4000, 5000, 5000]);
    device.plug();
    await run(5000);
    expect(link.isOpen).toBe(true);
    attempts.length = 0;
    const unpluggedAt = clock.monotonic();
    device.unplug();
    await settle();
    await run(1600);
    expect(attempts.map((t) => t - unpluggedAt)).toEqual([500, 1500]);
  });

  it('a request waits for the response framed by length, or times out', async () => {
    device.respond = (frame) => (frame[0] === 1 ? bytes('0102010561') : null);
    const response = link.request(bytes('01'), clock.monotonic(), fixed(5), 100);
    await settle();
    expect((await response).toString('hex')).toBe('0102010561');
    const silent = link.request(bytes('02'), clock.monotonic(), fixed(5), 100);
    await settle();
    clock.advance(100);
    await expect(silent).rejects.toThrow('/dev/ttyFAKE: no response within 100 ms');
  });

  it('a request waiting for its turn past its deadline is refused, not sent late', async () => {
    device.respond = () => null;
    const first = link.request(bytes('01'), clock.monotonic(), fixed(5), 300);
    const second = link.request(bytes('02'), clock.monotonic() + 100, fixed(5), 300);
    second.catch(() => {});
    await settle();
    clock.advance(300);
    await expect(first).rejects.toMatchObject({ reason: 'timeout' });
    await expect(second).rejects.toMatchObject({ reason: 'deadline' });
    expect(device.frames()).toEqual(['01']);
  });
});
