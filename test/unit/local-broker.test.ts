import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { LocalBroker, LocalBrokerError } from '../../src/demo/local-broker.js';
import { mosquittoConf } from '../../src/demo/mosquitto-conf.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('the demo broker', () => {
  it('listens on loopback only, as the given user, persists under its dir and never drops queued messages', () => {
    const conf = mosquittoConf({ port: 41883, dir: '/data/demo/broker', user: 'gate' }).split('\n');
    expect(conf).toContain('listener 41883 127.0.0.1');
    expect(conf).toContain('user gate');
    expect(conf).toContain('persistence true');
    expect(conf).toContain('persistence_location /data/demo/broker/');
    expect(conf).toContain('max_queued_messages 0');
    expect(conf.filter((l) => l.startsWith('listener'))).toHaveLength(1);
  });

  it('names the Debian package when mosquitto is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smartgate-local-broker-'));
    dirs.push(dir);
    const broker = new LocalBroker({ clock: systemClock, log: silentLogger }, { dir, binary: join(dir, 'no-mosquitto') });
    const started = broker.start();
    await expect(started).rejects.toThrow(LocalBrokerError);
    await expect(started).rejects.toThrow(/apt-get install mosquitto.*--mqtt-url/);
    expect(() => broker.url).toThrow('not started');
  });
});
