import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statusSchema, type StatusMessage } from '../../src/uplink/contract.js';
import { statusTopic } from '../../src/domain/topics.js';
import { builtCli } from '../helpers/demo-clip.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/processes.js';

const CHILD = fileURLToPath(new URL('../helpers/uplink-child.mjs', import.meta.url));
const TOPIC = statusTopic('smartgate/v1', 'mlt-kth');

let broker: Mosquitto;
const children: ChildProcess[] = [];
const clients: MqttClient[] = [];

beforeEach(async () => {
  builtCli(); // the child runs dist/: fail early with the reason when it is not built
  broker = await startMosquitto();
});

afterEach(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true);
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await broker.dispose();
});

/** Starts the uplink process and resolves once it says it is connected. */
async function startUplink(bootId: string): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [CHILD, broker.url, 'mlt-kth', bootId], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(
    () => out.includes('connected') || child.exitCode !== null,
    10_000,
    `uplink connected (stderr: ${err})`,
  );
  expect(out, err).toContain('connected');
  return { child, exited };
}

/** Every status message received by a fresh subscriber (the retained one first). */
async function watchStatus(): Promise<StatusMessage[]> {
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
  clients.push(client);
  const seen: StatusMessage[] = [];
  client.on('message', (_topic, payload) => seen.push(statusSchema.parse(JSON.parse(payload.toString()))));
  await client.subscribeAsync(TOPIC, { qos: 1 });
  return seen;
}

describe('uplink status topic', () => {
  it('is retained online after connect, and offline (the Last Will) when the process dies', async () => {
    const { child } = await startUplink('boot-a');
    const early = await watchStatus();
    await waitFor(() => early.length > 0, 5000, 'retained status');
    expect(early[0]).toMatchObject({ state: 'online', bootId: 'boot-a', version: expect.any(String) });

    child.kill('SIGKILL');
    await waitFor(() => early.some((s) => s.state === 'offline'), 10_000, 'offline status');
    expect(early.at(-1)).toMatchObject({ state: 'offline', bootId: 'boot-a' });
    // Retained: a consumer that arrives later learns it at once.
    const late = await watchStatus();
    await waitFor(() => late.length > 0, 5000, 'retained status');
    expect(late[0]).toMatchObject({ state: 'offline', bootId: 'boot-a' });
  });

  it('is stopped after a clean shutdown, and the Will is not sent', async () => {
    const { child, exited } = await startUplink('boot-b');
    const seen = await watchStatus();
    await waitFor(() => seen.length > 0, 5000, 'retained status');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await waitFor(() => seen.some((s) => s.state === 'stopped'), 5000, 'stopped status');
    const late = await watchStatus();
    await waitFor(() => late.length > 0, 5000, 'retained status');
    expect(late[0]).toMatchObject({ state: 'stopped', bootId: 'boot-b' });
    expect(seen.map((s) => s.state)).toEqual(['online', 'stopped']);
  });

  it('says online again on every connect, e.g. after the broker restarted', async () => {
    await startUplink('boot-c');
    const before = await watchStatus();
    await waitFor(() => before.length > 0, 5000, 'retained status');
    const first = before[0]!;
    await broker.restart();
    const after = await watchStatus();
    // The retained `online` survives the restart (persistence); the reconnect publishes a newer one.
    await waitFor(() => after.some((s) => s.ts > first.ts), 10_000, 'a new online after the restart');
    expect(after.find((s) => s.ts > first.ts)).toMatchObject({ state: 'online', bootId: 'boot-c' });
  });
});
