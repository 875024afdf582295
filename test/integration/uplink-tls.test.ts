import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import type { Logger } from '../../src/core/log.js';
import { mqttSchema, type MqttTlsConfig } from '../../src/config/mqtt.js';
import { wireEventSchema } from '../../src/uplink/contract.js';
import { Uplink } from '../../src/uplink/uplink.js';
import { builtCli } from '../helpers/demo-clip.js';
import { confBlockAfter } from '../helpers/doc-blocks.js';
import { MemoryOutbox } from '../helpers/memory-outbox.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/processes.js';
import { makeCa, makeClientCert, makeTestPki, type KeyPair, type TestPki } from '../helpers/test-pki.js';

// docs/mqtt-security.md, tested: central's broker with TLS, client certificates, a password per
// gate and per-site ACLs; the uplink's TLS and credential settings against it.

const SITE = 'mlt-kth';
const PASSWORDS: Record<string, string> = { [SITE]: 'gate-secret', central: 'central-secret' };
// The ACL of docs/mqtt-security.md, read from the page: a gate writes under its own site, reads its commands and lists.
const ACL = confBlockAfter(readFileSync(new URL('../../docs/mqtt-security.md', import.meta.url), 'utf8'), '## 3. ACLs');

let dir: string;
let pki: TestPki;
let otherCa: KeyPair;
/** The gate's name, but issued by a CA the broker does not trust. */
let rogue: KeyPair;
let broker: Mosquitto;
let url: string;
const uplinks: Uplink[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartgate-tls-'));
  pki = await makeTestPki(dir, [SITE, 'central']);
  otherCa = await makeCa(dir, 'other-ca');
  rogue = await makeClientCert(dir, otherCa, SITE, 'rogue');
  const passwd = join(dir, 'passwd');
  await writeFile(passwd, '');
  for (const [user, password] of Object.entries(PASSWORDS))
    await promisify(execFile)('mosquitto_passwd', ['-b', passwd, user, password]);
  await writeFile(join(dir, 'acl'), ACL);
  // These lines follow the helper's `listener` line, so they make that listener TLS-only.
  broker = await startMosquitto({
    extraConfig: [
      `cafile ${pki.ca.cert}`,
      `certfile ${pki.server.cert}`,
      `keyfile ${pki.server.key}`,
      'require_certificate true',
      'allow_anonymous false',
      `password_file ${passwd}`,
      `acl_file ${join(dir, 'acl')}`,
    ],
  });
  url = `mqtts://127.0.0.1:${broker.port}`;
}, 30_000);

afterEach(async () => {
  for (const u of uplinks.splice(0)) await u.stop();
  for (const c of clients.splice(0)) await c.endAsync(true);
});

afterAll(async () => {
  await broker?.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** A logger that keeps every warning, to count the uplink's failed attempts. */
function warningsLogger(into: string[]): Logger {
  const log: Logger = {
    debug() {},
    info() {},
    error() {},
    warn: (_obj, msg) => into.push(msg ?? ''),
    child: () => log,
  };
  return log;
}

function startUplink(opts: { tls: Partial<MqttTlsConfig>; password?: string; warnings?: string[] }): {
  uplink: Uplink;
  outbox: MemoryOutbox;
} {
  const outbox = new MemoryOutbox(systemClock, SITE, 'boot-tls');
  const config = mqttSchema.parse({
    url,
    username: SITE,
    password: opts.password ?? PASSWORDS[SITE],
    tls: opts.tls,
    backoff: { initialMs: 100, maxMs: 200 },
  })!;
  const uplink = new Uplink(
    { clock: systemClock, log: warningsLogger(opts.warnings ?? []) },
    { siteId: SITE, bootId: 'boot-tls', outbox, config: { ...config, url } },
  );
  uplinks.push(uplink);
  return { uplink, outbox };
}

/** A client of the TLS broker as `user`, with that user's certificate and password. */
async function connectAs(user: string): Promise<MqttClient> {
  const { cert, key } = pki.clients[user]!;
  const [caPem, certPem, keyPem] = await Promise.all([pki.ca.cert, cert, key].map((path) => readFile(path)));
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    username: user,
    password: PASSWORDS[user],
    ca: caPem,
    cert: certPem,
    key: keyPem,
  });
  clients.push(client);
  return client;
}

/** Central's consumer, subscribed to every site's events. */
async function central(): Promise<{ topic: string; payload: string }[]> {
  const client = await connectAs('central');
  const seen: { topic: string; payload: string }[] = [];
  client.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
  await client.subscribeAsync('smartgate/v1/+/+/events', { qos: 1 });
  return seen;
}

describe('uplink over TLS with client certificates', () => {
  it('connects with the CA, its certificate and password, and an event reaches central', async () => {
    const seen = await central();
    const { uplink, outbox } = startUplink({
      tls: { ca: pki.ca.cert, cert: pki.clients[SITE]!.cert, key: pki.clients[SITE]!.key },
    });
    await uplink.start();
    await waitFor(() => uplink.connection.connected, 10_000, 'uplink connected over TLS');
    const recorded = outbox.append({ type: 'plate.read', laneId: 'entry-1', payload: { text: '24A12345' } });
    await waitFor(() => seen.length > 0, 10_000, 'the event at central');
    expect(seen[0]!.topic).toBe(`smartgate/v1/${SITE}/entry-1/events`);
    expect(wireEventSchema.parse(JSON.parse(seen[0]!.payload))).toMatchObject({
      eventId: recorded.eventId,
      seq: 1,
      siteId: SITE,
    });
    expect(uplink.stats().connection).toMatchObject({ connected: true, connects: 1, lastError: null });
  });

  it('reaches smartgate tail, as central runs it, with the CA, a client certificate and a password', async () => {
    const { cert, key } = pki.clients.central!;
    const args = [
      'tail',
      '--mqtt-url',
      url,
      '--ca',
      pki.ca.cert,
      '--cert',
      cert,
      '--key',
      key,
      '--username',
      'central',
      '--password',
      PASSWORDS.central!,
    ];
    const tail = spawn(process.execPath, [builtCli(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    tail.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    tail.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const closed = new Promise<number | null>((resolve) => tail.once('close', (code) => resolve(code)));
    try {
      await waitFor(() => stderr.includes('"subscribed"'), 10_000, `tail subscribed over TLS (stderr: ${stderr})`);
      const { uplink, outbox } = startUplink({
        tls: { ca: pki.ca.cert, cert: pki.clients[SITE]!.cert, key: pki.clients[SITE]!.key },
      });
      await uplink.start();
      const recorded = outbox.append({ type: 'plate.read', laneId: 'exit-1', payload: { text: '云A12345' } });
      await waitFor(() => stdout.includes(recorded.eventId), 10_000, 'the event at tail');
      expect(JSON.parse(stdout.trim().split('\n')[0]!)).toMatchObject({
        eventId: recorded.eventId,
        siteId: SITE,
        laneId: 'exit-1',
      });
    } finally {
      tail.kill('SIGTERM');
    }
    expect(await closed).toBe(0);
  });

  const refusals: [string, () => Partial<MqttTlsConfig>, string | undefined, RegExp][] = [
    ['without a client certificate', () => ({ ca: pki.ca.cert }), undefined, /alert certificate required/],
    [
      'with a client certificate from another CA',
      () => ({ ca: pki.ca.cert, cert: rogue.cert, key: rogue.key }),
      undefined,
      /alert unknown ca/,
    ],
    [
      "trusting another CA than the broker's",
      () => ({ ca: otherCa.cert, cert: pki.clients[SITE]!.cert, key: pki.clients[SITE]!.key }),
      undefined,
      /self-signed certificate in certificate chain|unable to (get|verify)/,
    ],
    [
      'with a wrong password',
      () => ({ ca: pki.ca.cert, cert: pki.clients[SITE]!.cert, key: pki.clients[SITE]!.key }),
      'not-the-password',
      /Not authorized/,
    ],
  ];
  it.each(refusals)('is refused %s, and keeps retrying without crashing', async (_case, tls, password, lastError) => {
    const warnings: string[] = [];
    const { uplink } = startUplink({ tls: tls(), ...(password ? { password } : {}), warnings });
    await uplink.start();
    // Back-off 100–200 ms: a few attempts within a second or two, each one failing.
    await waitFor(
      () => warnings.filter((w) => w === 'mqtt error').length >= 3,
      10_000,
      `three failed attempts (warnings: ${warnings.join(', ')})`,
    );
    expect(uplink.stats().connection).toMatchObject({ connected: false, connects: 0 });
    expect(uplink.stats().connection.lastError).toMatch(lastError);
  });
});

describe("per-site ACL on central's broker", () => {
  it('drops what a gate publishes under another site, and delivers it only its own commands', async () => {
    const seen = await central();
    const forger = await connectAs(SITE);
    // MQTT 5 lets the broker say why: PUBACK reason code 135, not authorized.
    const denied = await forger
      .publishAsync('smartgate/v1/other-site/entry-1/events', '{"forged":true}', { qos: 1 })
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(denied).toMatchObject({ code: 135 });
    // Then an allowed one, on a second connection: over TLS, Mosquitto 2.0.11 drops the
    // connection right after such a refusal. Once it arrives, the refused one would have too.
    const gate = await connectAs(SITE);
    await gate.publishAsync(`smartgate/v1/${SITE}/entry-1/events`, '{"own":true}', { qos: 1 });
    await waitFor(() => seen.length > 0, 5000, "the gate's own event at central");
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual([{ topic: `smartgate/v1/${SITE}/entry-1/events`, payload: '{"own":true}' }]);

    // Reading is checked per message (mosquitto grants any subscription): a gate that asks for
    // every site's commands still gets only its own.
    const received: string[] = [];
    gate.on('message', (topic) => received.push(topic));
    await gate.subscribeAsync('smartgate/v1/+/commands/+', { qos: 1 });
    const centralClient = await connectAs('central');
    await centralClient.publishAsync('smartgate/v1/other-site/commands/open', '{}', { qos: 1 });
    await centralClient.publishAsync(`smartgate/v1/${SITE}/commands/open`, '{}', { qos: 1 });
    await waitFor(() => received.length > 0, 5000, "the gate's own command");
    await new Promise((r) => setTimeout(r, 300));
    expect(received).toEqual([`smartgate/v1/${SITE}/commands/open`]);
  });
});
