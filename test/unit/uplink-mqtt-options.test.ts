import { describe, expect, it } from 'vitest';
import { mqttSchema } from '../../src/config/mqtt.js';
import { mqttClientOptions } from '../../src/uplink/mqtt-options.js';

const session = { clientId: 'smartgate-mlt-kth', keepaliveSec: 15, sessionExpirySec: 604_800 };

describe('mqttClientOptions', () => {
  it('asks for an MQTT 5 persistent session and turns off mqtt.js reconnecting and offline queueing', () => {
    const options = mqttClientOptions(session);
    expect(options).toMatchObject({
      protocolVersion: 5,
      clientId: 'smartgate-mlt-kth',
      clean: false,
      keepalive: 15,
      properties: { sessionExpiryInterval: 604_800 },
      reconnectPeriod: 0,
      queueQoSZero: false,
    });
    expect(options).not.toHaveProperty('username');
    expect(options).not.toHaveProperty('ca');
    expect(options.properties).not.toHaveProperty('maximumPacketSize');
  });

  it('announces a Maximum Packet Size when given one', () => {
    expect(mqttClientOptions({ ...session, maxPacketBytes: 1_048_576 }).properties).toEqual({
      sessionExpiryInterval: 604_800,
      maximumPacketSize: 1_048_576,
    });
  });

  it('passes credentials, TLS files and the Will through', () => {
    const files: Record<string, string> = { '/etc/ca.pem': 'CA', '/etc/gate.pem': 'CERT', '/etc/gate.key': 'KEY' };
    const read = (path: string) => Buffer.from(files[path] ?? '');
    const tls = { ca: '/etc/ca.pem', cert: '/etc/gate.pem', key: '/etc/gate.key', rejectUnauthorized: true };
    const will = { topic: 'p/s/status', payload: '{"state":"offline"}', qos: 1 as const, retain: true };
    const options = mqttClientOptions({ ...session, username: 'gate', password: 'secret', tls }, will, read);
    expect(options).toMatchObject({ username: 'gate', password: 'secret', rejectUnauthorized: true });
    expect([options.ca, options.cert, options.key].map(String)).toEqual(['CA', 'CERT', 'KEY']);
    expect(options.will).toMatchObject({ topic: 'p/s/status', qos: 1, retain: true });
    expect(String(options.will!.payload)).toBe('{"state":"offline"}');
  });
});

describe('mqtt config section', () => {
  it('is absent when left out, and filled with defaults when given', () => {
    expect(mqttSchema.parse(undefined)).toBeUndefined();
    expect(mqttSchema.parse({ url: 'mqtt://central:1883' })).toEqual({
      url: 'mqtt://central:1883',
      topicPrefix: 'smartgate/v1',
      keepaliveSec: 15,
      sessionExpirySec: 604_800,
      tls: { rejectUnauthorized: true },
      backoff: { initialMs: 1000, maxMs: 60_000 },
      maxInFlight: 64,
      stateIntervalMs: 15_000,
      commands: { maxAgeMs: 300_000, actuatingMaxAgeMs: 15_000, maxFutureMs: 60_000, acceptUnsignedReadOnly: false },
      central: { keys: [] },
    });
  });

  it.each([
    [{ url: 'http://central' }, 'url'],
    [{ topicPrefix: 'smartgate/#' }, 'topicPrefix'],
    [{ backoff: { initialMs: 5000, maxMs: 1000 } }, 'backoff.maxMs'],
    [{ keepaliveSec: 1 }, 'keepaliveSec'],
    [{ commands: { maxAgeMs: 0 } }, 'commands.maxAgeMs'],
    [{ commands: { maxFutureMs: 'soon' } }, 'commands.maxFutureMs'],
    [{ colour: 'blue' }, ''],
  ])('refuses %j', (input, path) => {
    const result = mqttSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
