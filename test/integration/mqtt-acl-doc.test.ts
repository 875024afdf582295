import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGatePublicKey } from '../../src/evidence/gate-key.js';
import { centralSigner } from '../helpers/central-signer.js';
import { builtCli } from '../helpers/demo-clip.js';
import { confBlockAfter } from '../helpers/doc-blocks.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/processes.js';

// Issue 20, item 16: the ACL files of docs/mqtt-security.md, read from the page itself, on a real
// Mosquitto, with the gate daemon (`smartgate run`) logged in as the documented user. Central's
// user must receive everything the gate publishes, including the retained QoS 0 health and lane
// states that an incomplete ACL drops without any error; the per-lane consumer only its lane.

const DOC = new URL('../../docs/mqtt-security.md', import.meta.url);
const SITE = 'mlt-kth';
const CUSTOMS = 'customs-mlt-kth-exit-1';
const CENTRAL = centralSigner('central-acl');
const PASSWORDS: Record<string, string> = {
  [SITE]: 'gate-secret',
  central: 'central-secret',
  [CUSTOMS]: 'customs-secret',
};

let dir: string;
let broker: Mosquitto;
let gate: ChildProcess | undefined;
let gateOutput = '';
const clients: MqttClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartgate-acl-doc-'));
  const page = await readFile(DOC, 'utf8');
  const acl = `${confBlockAfter(page, '## 3. ACLs')}\n${confBlockAfter(page, '### Per-lane ACLs')}`;
  await writeFile(join(dir, 'smartgate.acl'), acl);
  const passwd = join(dir, 'passwd');
  await writeFile(passwd, '');
  for (const [user, password] of Object.entries(PASSWORDS))
    await promisify(execFile)('mosquitto_passwd', ['-b', passwd, user, password]);
  broker = await startMosquitto({
    extraConfig: ['allow_anonymous false', `password_file ${passwd}`, `acl_file ${join(dir, 'smartgate.acl')}`],
  });

  // The gate: two lanes with a yard between them, on a still image (no vehicle, so no plate is read: the events below come from central's list push); the entry lane decides on fee declarations, so the gate has a post-check summary.
  const images = join(dir, 'images');
  await mkdir(images);
  await sharp({ create: { width: 320, height: 240, channels: 3, background: '#404040' } })
    .png()
    .toFile(join(images, 'frame.png'));
  const camera = `{ url: "${pathToFileURL(images).href}", fps: 1, width: 320, height: 240, loop: true }`;
  await writeFile(
    join(dir, 'gate.yaml'),
    `site: { id: ${SITE}, name: ACL test gate }
dataDir: ${join(dir, 'data')}
http: { enabled: false }
mqtt:
  url: "${broker.url}"
  username: ${SITE}
  password: ${PASSWORDS[SITE]}
  central: { keys: [{ id: ${CENTRAL.kid}, publicKey: "${CENTRAL.keys[0]!.publicKey}" }] }
lanes:
  - { id: entry-1, direction: entry, camera: ${camera}, decisions: { declarations: post-check } }
  - { id: exit-1, direction: exit, camera: ${camera} }
yards:
  - { id: kth-yard, capacity: 10, entryLanes: [entry-1], exitLanes: [exit-1] }
`,
  );
}, 30_000);

afterAll(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true);
  if (gate && gate.exitCode === null && gate.signalCode === null) gate.kill('SIGKILL');
  await broker?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const topicsOf = (seen: IPublishPacket[]) => seen.map((p) => p.topic);

async function connectAs(user: string): Promise<{ client: MqttClient; seen: IPublishPacket[] }> {
  const client = await mqtt.connectAsync(broker.url, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    username: user,
    password: PASSWORDS[user],
    clientId: `acl-test-${user}`,
  });
  clients.push(client);
  const seen: IPublishPacket[] = [];
  client.on('message', (_topic, _payload, packet) => seen.push(packet));
  return { client, seen };
}

describe('the ACL of docs/mqtt-security.md, on Mosquitto, with the gate daemon', () => {
  it('lets central receive the retained status, health, key, each lane and yard state, the post-check summary, the events and the replies', async () => {
    gate = spawn(process.execPath, [builtCli(), 'run', '--config', join(dir, 'gate.yaml')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    gate.stdout!.on('data', (chunk: Buffer) => (gateOutput += chunk.toString()));
    gate.stderr!.on('data', (chunk: Buffer) => (gateOutput += chunk.toString()));

    // Subscribed once the gate is up: what is retained arrives at once, flagged as retained.
    const retained = [
      `smartgate/v1/${SITE}/status`,
      `smartgate/v1/${SITE}/health`,
      `smartgate/v1/${SITE}/key`,
      `smartgate/v1/${SITE}/entry-1/state`,
      `smartgate/v1/${SITE}/exit-1/state`,
      `smartgate/v1/${SITE}/yards/kth-yard/state`,
      `smartgate/v1/${SITE}/postcheck/summary`,
    ];
    const probe = await connectAs('central');
    await probe.client.subscribeAsync('smartgate/v1/#', { qos: 1 });
    await waitFor(
      () => retained.every((t) => topicsOf(probe.seen).includes(t)) || gate!.exitCode !== null,
      90_000,
      'every retained topic',
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}; central got ${[...new Set(topicsOf(probe.seen))].join(', ') || 'nothing'}; the gate said: ${gateOutput.slice(-2000)}`,
      );
    });
    await probe.client.endAsync(true);

    const central = await connectAs('central');
    await central.client.subscribeAsync('smartgate/v1/#', { qos: 1 });
    await waitFor(
      () => retained.every((t) => central.seen.some((p) => p.topic === t && p.retain)),
      10_000,
      'the retained snapshots',
    );
    const status = JSON.parse(central.seen.find((p) => p.topic === retained[0])!.payload.toString()) as {
      state: string;
    };
    expect(status.state).toBe('online');
    // The key the gate made in its data directory, for central to check the chain's checkpoints with.
    const key = JSON.parse(central.seen.find((p) => p.topic === `smartgate/v1/${SITE}/key`)!.payload.toString()) as {
      keyId: string;
      publicKey: string;
    };
    const made = readGatePublicKey(join(dir, 'data'));
    expect(key).toMatchObject({ algorithm: 'Ed25519', keyId: made.keyId, publicKey: made.publicKeyText });

    // Central pushes a list, signed: the gate replies under its reply prefix, and records the push
    // as an event on gate/events.
    const listTopic = `smartgate/v1/${SITE}/lists/deny`;
    const push = JSON.stringify({ kind: 'full', version: 1, entries: [{ key: '29C12345' }] });
    await central.client.publishAsync(listTopic, push, {
      qos: 1,
      properties: { userProperties: CENTRAL.sign(listTopic, push) },
    });
    const replyTopic = `smartgate/v1/${SITE}/replies/lists/deny`;
    await waitFor(
      () =>
        topicsOf(central.seen).includes(replyTopic) &&
        topicsOf(central.seen).includes(`smartgate/v1/${SITE}/gate/events`),
      15_000,
      `the reply and the list event (got ${topicsOf(central.seen).join(', ')})`,
    );
    const event = JSON.parse(
      central.seen.find((p) => p.topic === `smartgate/v1/${SITE}/gate/events`)!.payload.toString(),
    ) as { type: string; siteId: string };
    expect(event).toMatchObject({ type: 'list', siteId: SITE, payload: { status: 'applied', kid: CENTRAL.kid } });
    expect(JSON.parse(central.seen.find((p) => p.topic === replyTopic)!.payload.toString())).toMatchObject({
      status: 'ok',
    });
  }, 150_000);

  it("refuses the gate's user a publish on its own commands and lists, and another site's topics", async () => {
    const central = await connectAs('central');
    await central.client.subscribeAsync('smartgate/v1/#', { qos: 1 });
    for (const topic of [
      `smartgate/v1/${SITE}/commands/barrier.open`,
      `smartgate/v1/${SITE}/lists/allow`,
      'smartgate/v1/other-site/entry-1/events',
    ]) {
      // PUBACK 135 (not authorized); Mosquitto may also close the connection after a refused publish.
      const impostor = await connectAs(SITE);
      const closed = new Promise<string>((resolve) => impostor.client.once('close', () => resolve('closed')));
      impostor.client.on('error', () => {});
      const outcome = await Promise.race([
        impostor.client.publishAsync(topic, '{}', { qos: 1 }).then(
          () => 'delivered',
          (err: Error) => err.message,
        ),
        closed,
      ]);
      expect(outcome, topic).toMatch(/Not authorized|closed/);
      await impostor.client.endAsync(true);
    }
    // A marker central does receive, published after the refused ones, so none of them is still on its way.
    const gate = await connectAs(SITE);
    await gate.client.publishAsync(`smartgate/v1/${SITE}/status`, '{"marker":true}', { qos: 1 });
    await waitFor(() => central.seen.some((p) => p.payload.toString() === '{"marker":true}'), 10_000, 'the marker');
    expect(
      topicsOf(central.seen).filter(
        (t) => t.includes('/commands/') || t.includes('/lists/') || t.startsWith('smartgate/v1/other-site/'),
      ),
    ).toEqual([]);
  }, 30_000);

  it('lets the per-lane consumer read its lane and the gate status, and nothing else', async () => {
    const customs = await connectAs(CUSTOMS);
    await customs.client.subscribeAsync('smartgate/v1/#', { qos: 1 });
    await waitFor(
      () =>
        topicsOf(customs.seen).includes(`smartgate/v1/${SITE}/exit-1/state`) &&
        topicsOf(customs.seen).includes(`smartgate/v1/${SITE}/status`),
      10_000,
      'its retained topics',
    );
    // Central's next list push, the gate's reply and its event: none reaches the consumer.
    const central = await connectAs('central');
    await central.client.subscribeAsync(`smartgate/v1/${SITE}/gate/events`, { qos: 1 });
    await central.client.publishAsync(
      `smartgate/v1/${SITE}/lists/deny`,
      JSON.stringify({ kind: 'full', version: 2, entries: [] }),
      { qos: 1 },
    );
    await waitFor(() => central.seen.length > 0, 15_000, 'the second list event');
    expect([...new Set(topicsOf(customs.seen))].sort()).toEqual([
      `smartgate/v1/${SITE}/exit-1/state`,
      `smartgate/v1/${SITE}/status`,
    ]);
  }, 60_000);
});
