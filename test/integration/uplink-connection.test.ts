import mqtt, { type IClientOptions } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import { MqttConnection } from '../../src/uplink/mqtt-connection.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/processes.js';
import { freeLoopbackPort as freePort } from '../../src/core/loopback.js';

let broker: Mosquitto | undefined;
let connection: MqttConnection | undefined;

afterEach(async () => {
  await connection?.stop();
  await broker?.dispose();
});

describe('MqttConnection', () => {
  it('retries with doubling waits on the injected clock until the broker is up, then connects', async () => {
    const clock = new FakeClock();
    const port = await freePort(); // nothing listens here yet
    const attempts: IClientOptions[] = [];
    connection = new MqttConnection(
      {
        clock,
        log: silentLogger,
        connect: (url, options) => {
          attempts.push(options);
          return mqtt.connect(url, options);
        },
      },
      {
        url: `mqtt://127.0.0.1:${port}`,
        clientId: 'gate-1',
        keepaliveSec: 15,
        sessionExpirySec: 60,
        backoff: { initialMs: 1000, maxMs: 3000 },
      },
    );
    const changes: boolean[] = [];
    connection.onConnectionChange((c) => changes.push(c));
    await connection.start();
    // Each refused attempt leaves exactly one timer: the wait before the next.
    const failedAttempt = (n: number) =>
      waitFor(() => attempts.length === n && clock.pendingTimers() === 1, 5000, `attempt ${n} refused`);
    await failedAttempt(1);
    for (const [wait, n] of [
      [1000, 2],
      [2000, 3],
      [3000, 4],
      [3000, 5],
    ] as const) {
      clock.advance(wait - 1);
      expect(attempts).toHaveLength(n - 1);
      clock.advance(1);
      expect(attempts).toHaveLength(n);
      await failedAttempt(n);
    }
    expect(connection.stats()).toMatchObject({
      connected: false,
      connects: 0,
      lastError: expect.stringContaining('ECONNREFUSED'),
    });

    broker = await startMosquitto({ port });
    clock.advance(3000);
    await waitFor(() => connection!.connected, 5000, 'connected');
    expect(changes).toEqual([true]);
    expect(attempts.at(-1)).toMatchObject({ clientId: 'gate-1', clean: false, protocolVersion: 5, reconnectPeriod: 0 });

    // Back to the shortest wait after a healthy connection.
    await broker.stop();
    await waitFor(() => !connection!.connected && clock.pendingTimers() === 1, 5000, 'disconnect noticed');
    const before = attempts.length;
    clock.advance(1000);
    expect(attempts).toHaveLength(before + 1);

    await connection.stop();
    expect(clock.pendingTimers()).toBe(0);
    expect(changes).toEqual([true, false]);
  });

  it('refuses to publish while disconnected instead of queueing in memory', async () => {
    const clock = new FakeClock();
    connection = new MqttConnection(
      { clock, log: silentLogger },
      {
        url: `mqtt://127.0.0.1:${await freePort()}`,
        clientId: 'gate-2',
        keepaliveSec: 15,
        sessionExpirySec: 60,
        backoff: { initialMs: 1000, maxMs: 1000 },
      },
    );
    await connection.start();
    const result = await new Promise<Error | null>((resolve) =>
      connection!.publish({ topic: 't', payload: 'x', qos: 1, retain: false }, resolve),
    );
    expect(result?.message).toBe('not connected');
  });
});
