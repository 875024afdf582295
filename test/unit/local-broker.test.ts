import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { LocalBroker, LocalBrokerError } from '../../src/demo/local-broker.js';
import { demoBrokerUsers } from '../../src/demo/broker-users.js';
import { mosquittoConf, SITE_ACL } from '../../src/demo/mosquitto-conf.js';
import { confBlockAfter } from '../helpers/doc-blocks.js';

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

  it('takes anonymous clients only without accounts (test brokers); with them, only its accounts within the ACL', () => {
    expect(mosquittoConf({ port: 41883, dir: '/d', user: 'gate' }).split('\n')).toContain('allow_anonymous true');
    const conf = mosquittoConf({
      port: 41883,
      dir: '/d',
      user: 'gate',
      auth: { passwordFile: '/d/passwords.txt', aclFile: '/d/acl.txt' },
    }).split('\n');
    expect(conf).toContain('allow_anonymous false');
    expect(conf).not.toContain('allow_anonymous true');
    expect(conf).toContain('password_file /d/passwords.txt');
    expect(conf).toContain('acl_file /d/acl.txt');
  });

  it('gives its broker the ACL of docs/mqtt-security.md, word for word', () => {
    const page = readFileSync(new URL('../../docs/mqtt-security.md', import.meta.url), 'utf8');
    expect(SITE_ACL).toBe(confBlockAfter(page, '## 3. ACLs'));
  });

  it('generates the two accounts once, readable by the owner only, and keeps them across runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smartgate-broker-users-'));
    dirs.push(dir);
    const first = demoBrokerUsers(dir, 'demo');
    expect(first.gate.username).toBe('demo');
    expect(first.central.username).toBe('central');
    expect(first.gate.password).toMatch(/^[\w-]{24}$/);
    expect(first.central.password).not.toBe(first.gate.password);
    for (const file of [first.gate.passwordFile, first.central.passwordFile, first.mosquittoPasswordFile])
      expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(first.central.passwordFile, 'utf8')).toBe(`${first.central.password}\n`);
    const hashed = readFileSync(first.mosquittoPasswordFile, 'utf8');
    expect(hashed).toMatch(/^demo:\$7\$101\$[\w+/=]+\$[\w+/=]+\ncentral:\$7\$101\$/);
    expect(hashed).not.toContain(first.central.password);
    expect(readFileSync(first.aclFile, 'utf8')).toBe(SITE_ACL);

    chmodSync(first.central.passwordFile, 0o644);
    const again = demoBrokerUsers(dir, 'demo');
    expect(again.gate.password).toBe(first.gate.password);
    expect(again.central.password).toBe(first.central.password);
    expect(statSync(again.central.passwordFile).mode & 0o777).toBe(0o600);
  });

  it('names the Debian package when mosquitto is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smartgate-local-broker-'));
    dirs.push(dir);
    const broker = new LocalBroker(
      { clock: systemClock, log: silentLogger },
      { dir, binary: join(dir, 'no-mosquitto') },
    );
    const started = broker.start();
    await expect(started).rejects.toThrow(LocalBrokerError);
    await expect(started).rejects.toThrow(/apt-get install mosquitto.*--mqtt-url/);
    expect(() => broker.url).toThrow('not started');
  });
});
