import { describe, expect, it } from 'vitest';
import {
  brokerNotVerified,
  configWarnings,
  isLoopbackHost,
  noCentralKey,
  pageWithoutTls,
  plainMqttBeyondLoopback,
} from '../../src/config/warnings.js';
import { parseConfig } from '../../src/config/load.js';

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.10.0.3', true],
    ['localhost', true],
    ['LOCALHOST', true],
    ['gate.localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.10.5', false],
    ['128.0.0.1', false],
    ['central.example.vn', false],
    ['localhost.example.vn', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

describe('config warnings', () => {
  const tls = { cert: '/etc/smartgate/page.crt', key: '/etc/smartgate/page.key' };
  it.each([
    ['loopback, plain HTTP', { host: '127.0.0.1' }, 0],
    ['every address, plain HTTP', { host: '0.0.0.0' }, 1],
    ['the gate network, plain HTTP', { host: '192.168.10.5' }, 1],
    ['every address, HTTPS', { host: '0.0.0.0', tls }, 0],
    ['every address, page turned off', { host: '0.0.0.0', enabled: false }, 0],
  ])('page: %s → %d', (_, http, count) => {
    const warnings = pageWithoutTls(http);
    expect(warnings).toHaveLength(count);
    for (const w of warnings)
      expect(w).toMatch(
        /^http\.host: ".*" serves the status page beyond this computer over plain HTTP.*set http\.tls\.cert and http\.tls\.key$/,
      );
  });

  it.each([
    ['no uplink', undefined, null],
    ['no url', {}, null],
    ['mqtts:// to central', { url: 'mqtts://central.example.vn:8883' }, null],
    ['wss:// to central', { url: 'wss://central.example.vn/mqtt' }, null],
    ['mqtt:// to loopback', { url: 'mqtt://127.0.0.1:1883' }, null],
    ['ws:// to localhost', { url: 'ws://localhost:9001' }, null],
    [
      'mqtt:// to central',
      { url: 'mqtt://central.example.vn:1883' },
      'mqtt.url: mqtt:// to central.example.vn is not encrypted, so events, commands and the broker password cross the network readable; use mqtts://',
    ],
    [
      'ws:// to the LAN',
      { url: 'ws://10.1.2.3:9001/mqtt' },
      'mqtt.url: ws:// to 10.1.2.3 is not encrypted, so events, commands and the broker password cross the network readable; use wss://',
    ],
  ])('broker: %s', (_, mqtt, expected) => {
    expect(plainMqttBeyondLoopback(mqtt)).toEqual(expected === null ? [] : [expected]);
  });

  it.each([
    ['no uplink', undefined, 0],
    ['certificates checked', { tls: { rejectUnauthorized: true } }, 0],
    ['certificates not checked', { tls: { rejectUnauthorized: false } }, 1],
  ])('broker certificate: %s → %d', (_, mqtt, count) => {
    expect(brokerNotVerified(mqtt)).toHaveLength(count);
  });

  it('collects them in the order of the file', () => {
    const config = parseConfig(
      `site: { id: s, name: S }
http: { host: 0.0.0.0 }
mqtt: { url: "mqtt://10.0.0.2:1883", tls: { rejectUnauthorized: false } }
lanes: [{ id: a, direction: entry, camera: { url: "rtsp://10.0.0.1/1" } }]
`,
      'gate.yaml',
    );
    expect(configWarnings(config).map((w) => w.split(':')[0])).toEqual([
      'http.host',
      'mqtt.url',
      'mqtt.tls.rejectUnauthorized',
      'mqtt.central.keys',
    ]);
  });

  const KEY = { id: 'central-1', publicKey: 'MCowBQYDK2VwAyEA' };
  it.each([
    ['no uplink', undefined, 0],
    ['an uplink without url', { central: { keys: [] }, commands: { acceptUnsignedReadOnly: false } }, 0],
    [
      'an uplink with a key of central',
      { url: 'mqtt://127.0.0.1', central: { keys: [KEY] }, commands: { acceptUnsignedReadOnly: false } },
      0,
    ],
    [
      'an uplink without a key of central',
      { url: 'mqtt://127.0.0.1', central: { keys: [] }, commands: { acceptUnsignedReadOnly: false } },
      1,
    ],
  ])('central key: %s → %d', (_, mqtt, count) => {
    expect(noCentralKey(mqtt)).toHaveLength(count);
  });
});
