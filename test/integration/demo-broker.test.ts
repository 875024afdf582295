import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusSchema, wireEventSchema, type WireEvent } from '../../src/uplink/contract.js';
import { builtCli, demoClip } from '../helpers/demo-clip.js';
import { processes, waitFor } from '../helpers/processes.js';

// Issue 3, item 4: `smartgate demo` without --mqtt-url publishes to a broker of its own (the
// system Mosquitto as a child), so central's traffic can be watched; it leaves no broker behind.

let dataDir: string;
let client: MqttClient | undefined;

beforeAll(async () => {
  await demoClip();
  dataDir = mkdtempSync(join(tmpdir(), 'smartgate-demo-broker-'));
});

afterAll(async () => {
  await client?.endAsync(true);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('smartgate demo without --mqtt-url', () => {
  it('starts its own Mosquitto, publishes the plate reads there, and ends it on exit', async () => {
    const demo = spawn(process.execPath, [builtCli(), 'demo', '--seconds', '14', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    demo.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    demo.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const closed = new Promise<number | null>((resolve) => demo.once('close', (code) => resolve(code)));
    try {
      const urlLine = /central's broker \(embedded Mosquitto.*\): (mqtt:\/\/127\.0\.0\.1:\d+)$/m;
      await waitFor(() => urlLine.test(stdout) || demo.exitCode !== null, 15_000, `the broker URL (stderr: ${stderr})`);
      const url = urlLine.exec(stdout)![1]!;
      expect(stdout).toContain(`smartgate tail --mqtt-url ${url} --site demo`);
      const broker = processes().filter((p) => p.ppid === demo.pid && p.comm === 'mosquitto');
      expect(broker).toHaveLength(1);

      // The first plate comes a few seconds in, well after this subscription.
      client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0 });
      const events: WireEvent[] = [];
      const states: string[] = [];
      client.on('error', () => {}); // the broker goes away with the demo
      client.on('message', (topic, payload) => {
        const json = JSON.parse(payload.toString()) as unknown;
        if (topic.endsWith('/status')) states.push(statusSchema.parse(json).state);
        else events.push(wireEventSchema.parse(json));
      });
      await client.subscribeAsync(['smartgate/v1/demo/status', 'smartgate/v1/demo/+/events'], { qos: 1 });

      expect(await closed, stderr).toBe(0);
      const printed = stdout.split('\n').filter((l) => /^\d\d:\d\d:\d\d lane-1 /.test(l));
      expect(printed.length).toBeGreaterThanOrEqual(1);
      expect(events.length).toBeGreaterThanOrEqual(1);
      // Each vehicle: its plate read, then the lane's decision on it, then what the lane did.
      const reads = events.filter((e) => e.type === 'plate.read');
      expect(reads.length).toBeLessThanOrEqual(printed.length);
      const readsAndDecisions = events.filter((e) => e.type === 'plate.read' || e.type === 'decision').map((e) => e.type);
      expect(readsAndDecisions).toEqual(readsAndDecisions.map((_, i) => (i % 2 === 0 ? 'plate.read' : 'decision')));
      expect(events[0]?.type).toBe('plate.read');
      for (const e of events) expect(e).toMatchObject({ siteId: 'demo', laneId: 'lane-1' });
      // A fresh data dir: the lane's seq starts at 1 and has no gap.
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(states[0]).toBe('online');
      expect(states).toContain('stopped'); // the uplink said goodbye before the broker went

      // No broker left behind, and it saved its database where the demo said (it ran as us).
      expect(processes().filter((p) => p.pid === broker[0]!.pid)).toEqual([]);
      expect(existsSync(join(dataDir, 'broker', 'mosquitto.conf'))).toBe(true);
      expect(existsSync(join(dataDir, 'broker', 'mosquitto.db'))).toBe(true);
    } finally {
      if (demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL');
    }
  }, 60_000);
});
