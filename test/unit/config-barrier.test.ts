import { describe, expect, it } from 'vitest';
import { barrierDeviceMissing, barrierSchema } from '../../src/config/barrier.js';

describe('barrier config', () => {
  it('defaults to no barrier', () => {
    expect(barrierSchema.parse(undefined)).toMatchObject({ driver: 'none', inputs: {} });
  });

  it('takes a Modbus board with its inputs', () => {
    const parsed = barrierSchema.parse({
      driver: 'modbus',
      device: '/dev/serial/by-id/usb-FTDI_FT232R-if00-port0',
      address: 3,
      coil: 1,
      mode: 'flash',
      inputs: { openLimit: 0, closedLimit: 1, loop: 2 },
    });
    expect(parsed).toMatchObject({
      driver: 'modbus',
      address: 3,
      coil: 1,
      mode: 'flash',
      inputs: { openLimit: 0, closedLimit: 1, loop: 2 },
    });
  });

  it.each([
    [{ driver: 'lcus' }, 'driver lcus needs a device'],
    [{ driver: 'modbus', device: '/dev/x', address: 0 }, 'address'],
    [{ driver: 'lcus', device: '/dev/x', channel: 0 }, 'channel'],
    [{ driver: 'relay' }, 'driver'],
    [{ driver: 'none', coils: 1 }, 'coils'],
    [{ driver: 'modbus', device: '/dev/x', inputs: { openLimit: -1 } }, 'openLimit'],
  ])('refuses %j', (input, what) => {
    const result = barrierSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(what);
  });

  it('needs a device only for the serial drivers', () => {
    expect(barrierDeviceMissing({ driver: 'none' })).toEqual([]);
    expect(barrierDeviceMissing({ driver: 'simulator' })).toEqual([]);
    expect(barrierDeviceMissing({ driver: 'modbus' })).toEqual([
      { path: ['device'], message: 'driver modbus needs a device (e.g. /dev/serial/by-id/usb-...)' },
    ]);
  });
});
