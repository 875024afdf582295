import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replySchema, type Reply } from '../../src/uplink/commands-contract.js';
import { builtCli, demoClip } from '../helpers/demo-clip.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/processes.js';

// The demo signs as central would: it makes central's key pair in its data directory, gives the
// public key to its gate, and prints the command that opens the barrier as central. That line,
// run as printed, opens it; the same command unsigned does not.

const execFileP = promisify(execFile);
let broker: Mosquitto;
let dataDir: string;

beforeAll(async () => {
  await demoClip();
  broker = await startMosquitto();
  dataDir = mkdtempSync(join(tmpdir(), 'smartgate-demo-signed-'));
});

afterAll(async () => {
  await broker?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("smartgate demo and central's signed commands", () => {
  it("prints a sign command that opens the demo's barrier; unsigned, the same command is refused", async () => {
    const demo = spawn(
      process.execPath,
      [builtCli(), 'demo', '--seconds', '40', '--data-dir', dataDir, '--mqtt-url', broker.url, '--http-port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    demo.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const closed = new Promise<number | null>((resolve) => demo.once('close', (code) => resolve(code)));
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    try {
      const line = /open the barrier as central: npx smartgate (sign send .*)$/m;
      await waitFor(() => line.test(stdout) || demo.exitCode !== null, 60_000, `the sign command (stderr: ${stderr})`);
      const command = line.exec(stdout)![1]!;
      expect(command).toContain(
        `--private-key ${join(dataDir, 'central', 'central.key')} --kid demo-central --mqtt-url ${broker.url} --site demo`,
      );
      // Unsigned, as any client of the broker could send it; again until the gate, once
      // subscribed, answers.
      const replies: Reply[] = [];
      client.on('message', (_topic, payload) => replies.push(replySchema.parse(JSON.parse(payload.toString()))));
      await client.subscribeAsync('smartgate/v1/demo/replies/unsigned', { qos: 1 });
      for (let i = 0; i < 120 && replies.length === 0 && demo.exitCode === null; i++) {
        const ts = Date.now();
        await client.publishAsync(
          'smartgate/v1/demo/commands/barrier.open',
          JSON.stringify({
            id: `unsigned-${i}`,
            ts,
            expiresAt: ts + 10_000,
            laneId: 'lane-1',
            args: { operator: 'x', reason: 'let me in' },
          }),
          {
            qos: 1,
            properties: { responseTopic: 'smartgate/v1/demo/replies/unsigned' },
          },
        );
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(replies.length, stderr).toBeGreaterThanOrEqual(1);
      for (const reply of replies) expect(reply).toMatchObject({ status: 'error', error: { code: 'unsigned' } });

      // As printed (run through a shell, so its quoting is what a user's shell sees).
      const { stdout: replyLine } = await execFileP(
        'sh',
        ['-c', `"$0" "$1" ${command}`, process.execPath, builtCli()],
        { timeout: 30_000 },
      );
      expect(replySchema.parse(JSON.parse(replyLine))).toMatchObject({
        status: 'ok',
        data: { eventId: expect.any(String) },
      });
      demo.kill('SIGINT');
      expect(await closed).toBe(0);
    } finally {
      await client.endAsync(true);
      if (demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL');
    }
  }, 120_000);
});
