import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusSchema, wireEventSchema, type WireEvent } from '../../src/uplink/contract.js';
import { yardStateSchema } from '../../src/uplink/wire-schemas.js';
import type { YardState } from '../../src/yard/yard-state.js';
import { builtCli, demoClips } from '../helpers/demo-clip.js';
import { processes, waitFor } from '../helpers/processes.js';

// Issue 3, item 4: `smartgate demo` without --mqtt-url publishes to a broker of its own (the
// system Mosquitto as a child), so central's traffic can be watched; it leaves no broker behind.
// Issue 20, item 2: that broker takes no anonymous client: the gate and central each have an
// account, generated into the data directory, within the ACL of docs/mqtt-security.md.

let dataDir: string;
const clients: MqttClient[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  await demoClips();
  dataDir = mkdtempSync(join(tmpdir(), 'smartgate-demo-broker-'));
});

afterAll(async () => {
  for (const c of clients) await c.endAsync(true);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function spawnCli(args: string[]): {
  proc: ChildProcess;
  out: { stdout: string; stderr: string };
  closed: Promise<number | null>;
} {
  const proc = spawn(process.execPath, [builtCli(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  const out = { stdout: '', stderr: '' };
  proc.stdout.on('data', (chunk: Buffer) => (out.stdout += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
  return { proc, out, closed: new Promise((resolve) => proc.once('close', (code) => resolve(code))) };
}

async function connect(url: string, opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, ...opts });
  client.on('error', () => {}); // the broker goes away with the demo
  clients.push(client);
  return client;
}

/** Resolves with the publish's fate: delivered, refused (PUBACK 135), or the connection closed. */
async function publishOutcome(client: MqttClient, topic: string): Promise<string> {
  const closed = new Promise<string>((resolve) => client.once('close', () => resolve('closed')));
  return Promise.race([
    client.publishAsync(topic, '{}', { qos: 1 }).then(
      () => 'delivered',
      (err: Error) => err.message,
    ),
    closed,
  ]);
}

describe('smartgate demo without --mqtt-url', () => {
  it('starts its own Mosquitto with accounts and the ACL, publishes the plate reads there, and ends it on exit', async () => {
    const demo = spawnCli(['demo', '--seconds', '16', '--data-dir', dataDir]);
    const { out } = demo;
    try {
      const tailLine =
        /watch them: (smartgate tail --mqtt-url (mqtt:\/\/127\.0\.0\.1:\d+) --site demo --username central --password-file (\S+))$/m;
      await waitFor(() => tailLine.test(out.stdout) || demo.proc.exitCode !== null, 15_000, 'the tail command');
      expect(out.stdout, out.stderr).toMatch(tailLine);
      const [, , url, passwordFile] = tailLine.exec(out.stdout)!;
      expect(out.stdout).toContain(
        `central's broker (embedded Mosquitto, data in ${join(dataDir, 'broker')}): ${url}, no anonymous clients`,
      );
      const broker = processes().filter((p) => p.ppid === demo.proc.pid && p.comm === 'mosquitto');
      expect(broker).toHaveLength(1);

      // The accounts: generated into the data directory, readable by the owner only, printed.
      expect(passwordFile).toBe(join(dataDir, 'broker', 'central.password'));
      const centralPassword = readFileSync(passwordFile!, 'utf8').trim();
      const gatePassword = readFileSync(join(dataDir, 'broker', 'demo.password'), 'utf8').trim();
      for (const file of [
        passwordFile!,
        join(dataDir, 'broker', 'demo.password'),
        join(dataDir, 'broker', 'passwords.txt'),
      ])
        expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(out.stdout).toContain(`central's account: user "central", password ${centralPassword}`);

      // No anonymous client, no wrong password.
      await expect(connect(url!)).rejects.toThrow(/Not authorized|Bad User Name or Password/i);
      await expect(connect(url!, { username: 'central', password: 'not-the-password' })).rejects.toThrow(
        /Not authorized|Bad User Name or Password/i,
      );

      // `smartgate tail` as printed, with central's account. The first plate comes a few seconds in.
      const tail = spawnCli([
        'tail',
        '--mqtt-url',
        url!,
        '--site',
        'demo',
        '--username',
        'central',
        '--password-file',
        passwordFile!,
        '--client-id',
        'demo-broker-test-tail',
      ]);
      const central = await connect(url!, { username: 'central', password: centralPassword });
      const events: WireEvent[] = [];
      const states: string[] = [];
      const foreign: string[] = [];
      const yardStates: YardState[] = [];
      central.on('message', (topic, payload) => {
        if (topic.startsWith('smartgate/v1/other-site/')) return void foreign.push(topic);
        const json = JSON.parse(payload.toString()) as unknown;
        if (topic === 'smartgate/v1/demo/yards/demo-yard/state') yardStates.push(yardStateSchema.parse(json));
        else if (topic.endsWith('/status')) states.push(statusSchema.parse(json).state);
        else if (topic.endsWith('/events')) events.push(wireEventSchema.parse(json));
      });
      await central.subscribeAsync(
        [
          'smartgate/v1/demo/status',
          'smartgate/v1/demo/+/events',
          'smartgate/v1/demo/yards/+/state',
          'smartgate/v1/other-site/#',
        ],
        { qos: 1 },
      );

      // The gate's account, as a gate computer that went rogue: it may not command itself,
      // push lists, publish as another site, nor read another site's commands.
      for (const topic of [
        'smartgate/v1/demo/commands/barrier.open',
        'smartgate/v1/demo/lists/allow',
        'smartgate/v1/other-site/lane-1/events',
      ]) {
        const rogue = await connect(url!, {
          username: 'demo',
          password: gatePassword,
          clientId: `demo-broker-test-rogue-${clients.length}`,
        });
        expect(await publishOutcome(rogue, topic), topic).toMatch(/Not authorized|closed/);
      }
      const snoop = await connect(url!, {
        username: 'demo',
        password: gatePassword,
        clientId: 'demo-broker-test-snoop',
      });
      const snooped: string[] = [];
      snoop.on('message', (topic) => snooped.push(topic));
      await snoop.subscribeAsync(['smartgate/v1/+/commands/+', 'smartgate/v1/+/lists/+'], { qos: 1 });
      await central.publishAsync('smartgate/v1/other-site/commands/barrier.open', '{}', { qos: 1 });
      await central.publishAsync('smartgate/v1/demo/commands/nothing-such', '{}', { qos: 1 });
      await waitFor(() => snooped.length > 0, 10_000, "its own site's command");
      expect(snooped).toEqual(['smartgate/v1/demo/commands/nothing-such']);

      expect(await demo.closed, out.stderr).toBe(0);
      const printed = out.stdout.split('\n').filter((l) => /^\d\d:\d\d:\d\d lane-[12] /.test(l));
      expect(printed.length).toBeGreaterThanOrEqual(1);
      expect(events.length).toBeGreaterThanOrEqual(1);
      // Each vehicle: its plate read, then the lane's decision on it, then what the lane did.
      const reads = events.filter((e) => e.type === 'plate.read');
      expect(reads.length).toBeLessThanOrEqual(printed.length);
      for (const lane of ['lane-1', 'lane-2']) {
        const readsAndDecisions = events
          .filter((e) => e.laneId === lane && (e.type === 'plate.read' || e.type === 'decision'))
          .map((e) => e.type);
        expect(readsAndDecisions).toEqual(readsAndDecisions.map((_, i) => (i % 2 === 0 ? 'plate.read' : 'decision')));
      }
      expect(events.find((e) => e.laneId === 'lane-1')?.type).toBe('plate.read');
      for (const e of events) expect(e).toMatchObject({ siteId: 'demo' });
      // A fresh data dir: each lane's seq starts at 1 and has no gap. (The gate's events, the
      // yard's start, are published before this subscriber is there.)
      for (const lane of ['lane-1', 'lane-2']) {
        const laneSeqs = events.filter((e) => e.laneId === lane).map((e) => e.seq);
        expect(laneSeqs, lane).toEqual(laneSeqs.map((_, i) => i + 1));
      }
      // The yard as central sees it: retained, with the vehicles inside, changing as they come and go.
      expect(yardStates.length).toBeGreaterThanOrEqual(2);
      expect(yardStates.some((y) => y.occupancy > 0 && y.vehicles.length === y.occupancy)).toBe(true);
      expect(new Set(yardStates.map((y) => y.occupancy)).size).toBeGreaterThanOrEqual(2);
      expect(states[0]).toBe('online');
      expect(states).toContain('stopped'); // the uplink said goodbye before the broker went
      expect(foreign).toEqual([`smartgate/v1/other-site/commands/barrier.open`]); // central's own; nothing from the rogue

      // The tail saw the lane's events as central.
      const tailed = tail.out.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as WireEvent);
      expect(tailed.filter((e) => e.type === 'plate.read').length).toBeGreaterThanOrEqual(1);

      // No broker left behind, and it saved its database where the demo said (it ran as us).
      expect(processes().filter((p) => p.pid === broker[0]!.pid)).toEqual([]);
      expect(existsSync(join(dataDir, 'broker', 'mosquitto.conf'))).toBe(true);
      expect(existsSync(join(dataDir, 'broker', 'mosquitto.db'))).toBe(true);
    } finally {
      if (demo.proc.exitCode === null && demo.proc.signalCode === null) demo.proc.kill('SIGKILL');
    }
  }, 90_000);
});
