import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrivateKey } from '../../src/core/signing-key.js';
import { signCentralMessage } from '../../src/uplink/central-signature.js';
import { replySchema, type Reply } from '../../src/uplink/commands-contract.js';
import { parseWireEvent, type WireEvent } from '../../src/uplink/contract.js';
import { commandTopic } from '../../src/domain/topics.js';
import { centralSigner } from '../helpers/central-signer.js';
import { builtCli } from '../helpers/demo-clip.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/processes.js';

// Issue 20, items 1 and 4, against the real daemon (`smartgate run`) and a real Mosquitto: only
// a command signed by central opens the barrier, and an open that waited at the broker does not.

const execFileP = promisify(execFile);
const SITE = 'mlt-kth';
const LANE = 'entry-1';
const PREFIX = 'smartgate/v1';
const REPLY_PREFIX = `${PREFIX}/${SITE}/replies`;
const REPLIES = `${REPLY_PREFIX}/test`;
const OPEN = commandTopic(PREFIX, SITE, 'barrier.open');
const OPERATOR = { operator: 'op-17', reason: 'truck waved through at the window' };

let dir: string;
let broker: Mosquitto;
let daemon: ChildProcess;
let daemonStderr = '';
let client: MqttClient;
let keyFile: string;
let kid: string;
const replies = new Map<string, Reply>();
const events: WireEvent[] = [];
/** A second key of central's, made with openssl and given to the gate as PEM: a rotation in progress. */
const OPENSSL_KID = 'central-openssl';

function cli(args: string[]) {
  return execFileP(process.execPath, [builtCli(), ...args], { timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code?: number; stdout?: string; stderr?: string }) => ({
      code: err.code ?? null,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
    }),
  );
}

/** Publishes `payload` on `topic` as a request with a reply topic; resolves with the correlation. */
async function publish(topic: string, payload: string, userProperties?: Record<string, string>): Promise<string> {
  const correlation = randomUUID();
  await client.publishAsync(topic, payload, {
    qos: 1,
    properties: {
      responseTopic: REPLIES,
      correlationData: Buffer.from(correlation),
      ...(userProperties && { userProperties }),
    },
  });
  return correlation;
}

async function replyTo(correlation: string): Promise<Reply> {
  await waitFor(() => replies.has(correlation), 15_000, `the reply (daemon: ${daemonStderr.slice(-2000)})`);
  return replies.get(correlation)!;
}

const openPayload = (fields: Record<string, unknown> = {}) => {
  const ts = Date.now();
  return JSON.stringify({ id: randomUUID(), ts, expiresAt: ts + 10_000, laneId: LANE, args: OPERATOR, ...fields });
};

const actuations = () => events.filter((e) => e.type === 'barrier.actuation');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartgate-signing-'));
  broker = await startMosquitto();

  // Central's key pair, as a site makes it.
  keyFile = join(dir, 'central.key');
  const keygen = await cli([
    'sign',
    'keygen',
    '--private-key',
    keyFile,
    '--public-key',
    join(dir, 'central.pub'),
    '--kid',
    'central-2026',
  ]);
  expect(keygen).toMatchObject({ code: 0 });
  const [, id, publicKey] = /- id: (\S+)\n\s+publicKey: (\S+)/.exec(keygen.stdout)!;
  kid = id!;
  expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
  // And one made with openssl, configured as PEM.
  await execFileP('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', join(dir, 'openssl.key')]);
  await execFileP('openssl', ['pkey', '-in', join(dir, 'openssl.key'), '-pubout', '-out', join(dir, 'openssl.pub')]);
  const opensslPem = (await readFile(join(dir, 'openssl.pub'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => `            ${l}`)
    .join('\n');

  const configPath = join(dir, 'gate.yaml');
  await writeFile(
    configPath,
    `site: { id: ${SITE}, name: Ma Lù Thàng }
dataDir: ${join(dir, 'data')}
http: { enabled: false }
mqtt:
  url: ${broker.url}
  backoff: { initialMs: 200, maxMs: 1000 }
  central:
    keys:
      - { id: ${kid}, publicKey: ${publicKey} }
      - id: ${OPENSSL_KID}
        publicKey: |
${opensslPem}
lanes:
  - id: ${LANE}
    direction: entry
    camera: { url: "rtsp://127.0.0.1:9/none" }
    barrier: { driver: simulator }
`,
  );
  expect(await cli(['check-config', configPath])).toMatchObject({ code: 0, stderr: '' });

  client = await mqtt.connectAsync(broker.url, {
    protocolVersion: 5,
    clientId: 'central-signing-test',
    reconnectPeriod: 0,
  });
  client.on('message', (topic, payload, packet) => {
    const correlation = packet.properties?.correlationData;
    if (topic === REPLIES && Buffer.isBuffer(correlation))
      replies.set(correlation.toString(), replySchema.parse(JSON.parse(payload.toString())));
    else {
      const parsed = parseWireEvent(payload);
      if ('event' in parsed) events.push(parsed.event);
    }
  });
  await client.subscribeAsync([REPLIES, `${PREFIX}/${SITE}/+/events`], { qos: 1 });

  daemon = spawn(process.execPath, [builtCli(), 'run', '--config', configPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  daemon.stderr!.on('data', (chunk: Buffer) => (daemonStderr = (daemonStderr + chunk.toString()).slice(-20_000)));
  // The gate subscribes after it connects: ping (signed) until it answers.
  const signer = centralSigner(); // any key: a refusal is an answer too
  const pings = commandTopic(PREFIX, SITE, 'ping');
  let answered = false;
  for (let attempt = 0; attempt < 120 && !answered; attempt++) {
    const payload = JSON.stringify({ id: randomUUID(), ts: Date.now() });
    const correlation = await publish(pings, payload, signer.sign(pings, payload));
    await new Promise((r) => setTimeout(r, 500));
    answered = replies.has(correlation);
    if (daemon.exitCode !== null) throw new Error(`the daemon exited: ${daemonStderr}`);
  }
  expect(answered, daemonStderr).toBe(true);
}, 90_000);

afterAll(async () => {
  await client?.endAsync(true);
  if (daemon && daemon.exitCode === null) {
    const exited = new Promise((r) => daemon.once('exit', r));
    daemon.kill('SIGTERM');
    await exited;
  }
  await broker?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('commands from central must be signed', () => {
  it(
    'refuses unsigned, badly signed, stale and expiresAt-less opens without opening; a signed open opens once',
    { timeout: 60_000 },
    async () => {
      const impostor = centralSigner(kid); // another key under central's key id
      const elsewhere = commandTopic(PREFIX, 'other-site', 'barrier.open');
      const stale = openPayload({ ts: Date.now() - 46_000, expiresAt: Date.now() - 36_000 });
      const noExpiry = JSON.stringify({ id: randomUUID(), ts: Date.now(), laneId: LANE, args: OPERATOR });
      const signed = signWithKeyFile;
      const refusals: [string, Promise<string>, string, string][] = [
        ['unsigned', publish(OPEN, openPayload()), 'unsigned', 'no "sig" user property'],
        [
          'another key',
          (async () => {
            const p = openPayload();
            return publish(OPEN, p, impostor.sign(OPEN, p));
          })(),
          'bad-signature',
          'does not verify',
        ],
        [
          "signed for another site's gate",
          (async () => {
            const p = openPayload();
            return publish(OPEN, p, await signed(elsewhere, p));
          })(),
          'bad-signature',
          'does not verify',
        ],
        ['queued 46 s ago', (async () => publish(OPEN, stale, await signed(OPEN, stale)))(), 'expired', 'expiresAt: '],
        [
          'without expiresAt',
          (async () => publish(OPEN, noExpiry, await signed(OPEN, noExpiry)))(),
          'invalid',
          'expiresAt: required for barrier.open',
        ],
      ];
      for (const [what, sent, code, message] of refusals) {
        expect({ what, reply: await replyTo(await sent) }).toEqual({
          what,
          reply: {
            status: 'error',
            ...(code !== 'unsigned' && code !== 'bad-signature' && { id: expect.any(String) }),
            error: { code, message: expect.stringContaining(message) },
          },
        });
      }

      // Central's own tool: signs, publishes, prints the gate's reply.
      const open = await cli([
        'sign',
        'send',
        '--private-key',
        keyFile,
        '--kid',
        kid,
        '--mqtt-url',
        broker.url,
        '--site',
        SITE,
        '--command',
        'barrier.open',
        '--lane',
        LANE,
        '--args',
        JSON.stringify(OPERATOR),
      ]);
      expect(open, open.stderr).toMatchObject({ code: 0 });
      const reply = replySchema.parse(JSON.parse(open.stdout));
      expect(reply).toMatchObject({ status: 'ok', data: { eventId: expect.any(String) } });

      // One open, the signed one's, and its result; the refusals are on record with their reasons.
      await waitFor(() => actuations().some((e) => e.payload.phase === 'result'), 15_000, 'the barrier opened');
      await waitFor(() => events.filter((e) => e.type === 'command').length >= 6, 15_000, 'the command events');
      expect(actuations().filter((e) => e.payload.phase === 'requested')).toEqual([
        expect.objectContaining({ laneId: LANE, payload: expect.objectContaining({ cause: 'manual-open' }) }),
      ]);
      expect(events.filter((e) => e.type === 'operator.action')).toEqual([
        expect.objectContaining({
          payload: expect.objectContaining({ operator: OPERATOR.operator, source: 'central' }),
        }),
      ]);
      // The refusals were published side by side, so they may arrive in any order.
      const commands = events
        .filter((e) => e.type === 'command' && e.payload.name === 'barrier.open')
        .map((e) => [e.payload.status, e.payload.reason, e.payload.kid]);
      const byReason = (a: unknown[], b: unknown[]) => String(a).localeCompare(String(b));
      expect(commands.sort(byReason)).toEqual(
        [
          ['error', 'unsigned', null],
          ['error', 'bad-signature', null],
          ['error', 'bad-signature', null],
          ['error', 'expired', kid],
          ['error', 'invalid', kid],
          ['ok', null, kid],
        ].sort(byReason),
      );
    },
  );

  it(
    'takes a command signed with openssl and published with mosquitto_pub, as docs/mqtt.md shows',
    { timeout: 30_000 },
    async () => {
      const topic = commandTopic(PREFIX, SITE, 'ping');
      const payloadFile = join(dir, 'ping.json');
      await writeFile(payloadFile, JSON.stringify({ id: 'openssl-1', ts: Date.now() }));
      // Ed25519 signs in one shot: OpenSSL 3.0 wants the message in a file, not on a pipe.
      const script = `{ printf 'smartgate-central-v1\\n%s\\n' "$0"; cat "$1"; } > "$1.signed" && openssl pkeyutl -sign -inkey "$2" -rawin -in "$1.signed" | base64 -w0`;
      const sig = (await execFileP('sh', ['-c', script, topic, payloadFile, join(dir, 'openssl.key')])).stdout;
      const correlation = 'openssl-corr';
      await execFileP('mosquitto_pub', [
        '-V',
        'mqttv5',
        '-h',
        '127.0.0.1',
        '-p',
        String(broker.port),
        '-q',
        '1',
        '-t',
        topic,
        '-f',
        payloadFile,
        '-D',
        'publish',
        'user-property',
        'sig',
        sig,
        '-D',
        'publish',
        'user-property',
        'kid',
        OPENSSL_KID,
        '-D',
        'publish',
        'response-topic',
        REPLIES,
        '-D',
        'publish',
        'correlation-data',
        correlation,
      ]);
      expect(await replyTo(correlation)).toEqual({ status: 'ok', id: 'openssl-1', data: expect.anything() });
    },
  );
});

describe('smartgate sign', () => {
  it('pushes a list, signed, byte for byte as given, and prints the reply', { timeout: 30_000 }, async () => {
    const list = '{"kind":"full","version":3,"entries":[{"key":"29C12345","reason":"permit"}]}';
    const pushed = await cli([
      'sign',
      'send',
      '--private-key',
      keyFile,
      '--kid',
      kid,
      '--mqtt-url',
      broker.url,
      '--site',
      SITE,
      '--list',
      'allow',
      '--payload',
      list,
    ]);
    expect(pushed, pushed.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(pushed.stdout)).toEqual({ status: 'ok', data: { list: 'allow', version: 3 } });
    // A refusal is printed too, and exits 1.
    const refused = await cli([
      'sign',
      'send',
      '--private-key',
      keyFile,
      '--kid',
      kid,
      '--mqtt-url',
      broker.url,
      '--site',
      SITE,
      '--command',
      'no.such',
    ]);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ status: 'error', error: { code: 'unknown-command' } });
  });

  it('explains its usage: --help exits 0, a wrong call names each problem and exits 2', async () => {
    const help = await cli(['sign', '--help']);
    expect(help).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: smartgate sign keygen') });
    expect(await cli(['sign'])).toMatchObject({ code: 2, stderr: expect.stringContaining('sign: keygen or send?') });
    const bad = await cli([
      'sign',
      'send',
      '--mqtt-url',
      'http://x',
      '--site',
      'Bad Site',
      '--command',
      'ping',
      '--list',
      'deny',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n').slice(0, 5)).toEqual([
      '--private-key: required',
      '--kid: required',
      '--mqtt-url: expected mqtt://HOST[:PORT], mqtts://, ws:// or wss://',
      '--site: expected a site id (slug), e.g. mlt-kth',
      '--command or --list: give one',
    ]);
  });
});

/** Signs as central does, with the key file `smartgate sign keygen` wrote. */
async function signWithKeyFile(topic: string, payload: string): Promise<Record<string, string>> {
  return signCentralMessage(parsePrivateKey(await readFile(keyFile, 'utf8')), kid, topic, payload);
}
