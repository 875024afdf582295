import { describe, expect, it } from 'vitest';
import { createBarrier } from '../../src/barrier/factory.js';
import { LcusDriver } from '../../src/barrier/lcus-driver.js';
import { ModbusRelayDriver } from '../../src/barrier/modbus-driver.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import { barrierSchema } from '../../src/config/barrier.js';
import { settle } from '../helpers/fake-serial-port.js';

const deps = { clock: new FakeClock(), log: silentLogger };

describe('createBarrier', () => {
  it('none: no driver', () => {
    expect(createBarrier(barrierSchema.parse({}), deps)).toBeNull();
  });

  it('lcus and modbus: the drivers, not started', () => {
    expect(createBarrier(barrierSchema.parse({ driver: 'lcus', device: '/dev/x' }), deps)?.driver).toBeInstanceOf(
      LcusDriver,
    );
    const modbus = createBarrier(barrierSchema.parse({ driver: 'modbus', device: '/dev/x' }), deps);
    expect(modbus?.driver).toBeInstanceOf(ModbusRelayDriver);
    expect(modbus?.simulator).toBeNull();
  });

  it('simulator: the Modbus driver on a simulated board, end to end', async () => {
    const clock = new FakeClock();
    const tick = async (ms: number) => {
      for (let t = 0; t < ms; t += 20) {
        clock.advance(20);
        await settle();
      }
    };
    const built = createBarrier(
      barrierSchema.parse({ driver: 'simulator', pulseMs: 100, pollMs: 20, openTimeoutMs: 3000 }),
      {
        clock,
        log: silentLogger,
        simulatorTimings: { openMs: 300, holdOpenMs: 500, closeMs: 300 },
      },
    )!;
    await built.driver.start();
    try {
      await tick(40);
      expect(built.driver.status().state).toBe('closed');
      const result = built.driver.open(clock.monotonic() + 1000);
      await tick(500);
      expect(await result).toMatchObject({
        ok: true,
        confirmed: true,
        sent: ['01 05 00 00 FF 00 8C 3A', '01 05 00 00 00 00 CD CA'],
      });
      expect(built.driver.status().state).toBe('open');
      built.simulator!.setLoop(true);
      await tick(1000);
      expect(built.driver.status()).toMatchObject({ state: 'open', inputs: { loop: true } });
      built.simulator!.setLoop(false);
      await tick(400);
      expect(built.driver.status().state).toBe('closed');
    } finally {
      await built.driver.stop();
      built.simulator!.stop();
    }
  });
});
