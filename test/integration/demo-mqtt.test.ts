import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { storeSchema } from '../../src/config/store.js';
import { openStore } from '../../src/store/store.js';
import { builtCli, demoClips, platesOf } from '../helpers/demo-clip.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/processes.js';

// The "done when": the demo against a real Mosquitto keeps a gap-free seq at a
// persistent subscriber while the broker is stopped and restarted twice.

interface Child {
  proc: ChildProcess;
  stdout: Record<string, unknown>[];
  stderr: string;
  closed: Promise<number | null>;
}

function run(args: string[], jsonStdout: boolean): Child {
  const proc = spawn(process.execPath, [builtCli(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const child: Child = {
    proc,
    stdout: [],
    stderr: '',
    closed: new Promise((r) => proc.once('close', (code) => r(code))),
  };
  let rest = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    if (!jsonStdout) return;
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop()!;
    for (const line of lines) if (line) child.stdout.push(JSON.parse(line) as Record<string, unknown>);
  });
  proc.stderr.on('data', (chunk: Buffer) => (child.stderr += chunk.toString()));
  return child;
}

let broker: Mosquitto;
let dataDir: string;
/** Both clips' plates: lane-1's at the gate, lane-2's leaving the yard. */
let plates: string[];
const children: Child[] = [];

beforeAll(async () => {
  const clips = await demoClips();
  plates = platesOf([...clips.entry.vehicles, ...clips.exit.vehicles]);
  broker = await startMosquitto();
  dataDir = mkdtempSync(join(tmpdir(), 'smartgate-demo-mqtt-'));
});

afterAll(async () => {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  await broker?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('smartgate demo with --mqtt-url', () => {
  it('delivers every recorded read to a persistent subscriber, gap-free, through two broker restarts', async () => {
    const tail = run(['tail', '--mqtt-url', broker.url, '--site', 'demo'], true);
    children.push(tail);
    await waitFor(() => tail.stderr.includes('"subscribed"'), 15_000, 'tail subscribed');

    const demo = run(['demo', '--seconds', '32', '--data-dir', dataDir, '--mqtt-url', broker.url], false);
    children.push(demo);
    await waitFor(() => tail.stdout.length >= 1, 60_000, 'a first event at the tail');
    for (let i = 0; i < 2; i++) {
      await broker.stop(); // central's broker goes away; the gate keeps reading and recording
      await new Promise((r) => setTimeout(r, 4000));
      await broker.restart();
      await new Promise((r) => setTimeout(r, 3000));
    }
    expect(await demo.closed).toBe(0);

    // What the gate recorded and central acknowledged, from the demo's own database.
    const store = openStore(
      { clock: systemClock, log: silentLogger },
      { dataDir, siteId: 'demo', config: storeSchema.parse({}) },
    );
    const pending = store.events.pendingCount();
    const recorded = store.db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number };
    store.close();
    const delivered = recorded.n - pending;
    expect(delivered).toBeGreaterThanOrEqual(4);
    await waitFor(() => tail.stdout.length >= delivered, 30_000, `${delivered} events at the tail`);
    tail.proc.kill('SIGTERM');
    expect(await tail.closed).toBe(0);

    // Each lane (and the gate, for the yard's start) numbers its own events.
    for (const event of tail.stdout) expect(event).toMatchObject({ siteId: 'demo' });
    const lanes = [...new Set(tail.stdout.map((e) => e.laneId as string))];
    expect(lanes).toContain('lane-1');
    for (const lane of lanes) expect(['lane-1', 'lane-2', 'gate']).toContain(lane);
    for (const lane of lanes) {
      const seqs = tail.stdout.filter((e) => e.laneId === lane).map((e) => e.seq);
      expect(seqs, lane).toEqual(seqs.map((_, i) => i + 1));
    }
    expect(tail.stderr).not.toMatch(/"notice":"gap"/);
    // Each vehicle: its plate read, then the lane's decision on it, then what the lane did about
    // it (the barrier's actuation, alarms, how the visit ended, the yard's entry or exit). A
    // truck's two plates are one vehicle, reported under whichever plate agreed first.
    const readsAndDecisions = tail.stdout.filter((e) => e.type === 'plate.read' || e.type === 'decision');
    expect(readsAndDecisions.length).toBeGreaterThanOrEqual(2);
    for (const lane of lanes) {
      for (const [i, event] of readsAndDecisions.filter((e) => e.laneId === lane).entries()) {
        const payload = event.payload as { text?: string; plate?: { text: string } };
        expect(event.type).toBe(i % 2 === 0 ? 'plate.read' : 'decision');
        expect(plates).toContain(payload.text ?? payload.plate?.text);
      }
    }
    const actuations = tail.stdout.filter(
      (e) => e.type === 'barrier.actuation' && (e.payload as { phase?: string }).phase === 'result',
    );
    expect(actuations.length).toBeGreaterThanOrEqual(1);
    for (const a of actuations) expect(a.payload).toMatchObject({ ok: true, outcome: 'opened', driver: 'simulator' });
  }, 150_000);
});
