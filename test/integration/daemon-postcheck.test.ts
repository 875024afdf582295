import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { listTopic } from '../../src/domain/topics.js';
import { buildGate, type Gate } from '../../src/gate/build-gate.js';
import type { Reconciliation } from '../../src/postcheck/reconcile.js';
import { openStore, type Store } from '../../src/store/store.js';
import type { PlateFinder, PlateReader } from '../../src/vision/types.js';
import { centralSigner } from '../helpers/central-signer.js';
import { builtCli } from '../helpers/demo-clip.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/processes.js';
import { voted } from '../helpers/voted.js';

// The daemon with one lane deciding on fee declarations in post-check mode: central pushes the
// declarations over MQTT (signed), vehicles pass the lane (the simulated board's loop, reads put
// on the bus as the reader would), and `smartgate reconcile` reads the day beside the running daemon.
const UNUSED_ENGINE = {} as PlateFinder & PlateReader;
const PREFIX = 'smartgate/v1';
const SITE = 'mlt-kth';

let broker: Mosquitto | undefined;
let dataDir: string | undefined;
let running: { gate: Gate; store: Store } | undefined;
afterEach(async () => {
  if (running) {
    await running.gate.uplink?.stop();
    await running.gate.postcheck?.stop();
    for (const l of running.gate.lanes) await l.controller.stop();
    for (const l of running.gate.lanes) l.barrier?.simulator?.stop();
    running.store.close();
    running = undefined;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  await broker?.dispose();
});

function reconcileCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [builtCli(), 'reconcile', ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

describe('the daemon with fee declarations pushed by central', () => {
  it('lets declared and undeclared vehicles through, flags the undeclared and the declaration used twice, and reconciles while running', async () => {
    broker = await startMosquitto();
    const central = centralSigner();
    dataDir = mkdtempSync(join(tmpdir(), 'smartgate-postcheck-'));
    const config = configSchema.parse({
      site: { id: SITE, name: 'Ma Lù Thàng', timeZone: 'Asia/Ho_Chi_Minh' },
      dataDir,
      mqtt: { url: broker.url, central: { keys: central.keys } },
      lanes: [
        {
          id: 'in-1',
          direction: 'entry',
          camera: { url: 'rtsp://127.0.0.1:9/none' },
          barrier: { driver: 'simulator' },
          decisions: { declarations: 'post-check' },
          flow: { waitAlarmMs: 600_000, passTimeoutMs: 20_000, cooldownMs: 500 },
        },
      ],
    });
    const store = openStore({ clock: systemClock, log: silentLogger }, { dataDir, siteId: SITE, config: config.store });
    const gate = await buildGate(config, { clock: systemClock, log: silentLogger, store, engine: UNUSED_ENGINE });
    running = { gate, store };
    // Central pushes the plate lists too: with declarations on, a list never received holds (failClosed).
    for (const name of ['allow', 'deny', 'watch']) store.lists.applyFull(name, 1, []);
    let subscribed = false;
    gate.uplink!.connection.onSubscribed(() => (subscribed = true));
    await gate.uplink!.start();
    await gate.postcheck!.start();
    for (const l of gate.lanes) await l.controller.start();
    await waitFor(() => subscribed, 10_000, 'gate subscribed');

    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    try {
      const now = Date.now();
      const topic = listTopic(PREFIX, SITE, 'declarations');
      const payload = JSON.stringify({
        kind: 'full',
        version: 1,
        entries: [
          {
            key: 'VNPAY-2026-0001',
            plate: '29C12345',
            vehicleClass: 'car',
            validUntil: now + 86_400_000,
            passages: 'one',
            amount: 150_000,
            feeRef: 'VNPAY-88120',
            declaredAt: now - 3_600_000,
          },
        ],
      });
      await client.publishAsync(topic, payload, {
        qos: 1,
        properties: { userProperties: central.sign(topic, payload) },
      });
      await waitFor(() => store.lists.get('declarations')?.version === 1, 10_000, 'declarations applied');
    } finally {
      await client.endAsync();
    }

    const sim = gate.lanes[0]!.barrier!.simulator!;
    const passes = async (plate: string) => {
      sim.setLoop(true);
      await new Promise((r) => setTimeout(r, 300));
      gate.bus.emit('plate.read', { laneId: 'in-1', read: voted(plate) });
      await waitFor(() => gate.lanes[0]!.controller.snapshot().phase === 'open', 10_000, `${plate} opened for`);
      sim.setLoop(false);
      await waitFor(() => gate.lanes[0]!.controller.snapshot().phase !== 'open', 10_000, `${plate} passed`);
      await new Promise((r) => setTimeout(r, 700)); // past the cooldown
    };
    await passes('29C12345'); // declared
    await passes('30A11111'); // undeclared: passes, flagged
    await passes('29C12345'); // its one-passage declaration is used: passes, flagged

    const reasons = store.db
      .prepare<[], { reason: string }>(
        "SELECT json_extract(payload, '$.reason') AS reason FROM events WHERE type = 'decision' ORDER BY rowid",
      )
      .all()
      .map((r) => r.reason);
    expect(reasons).toEqual(['declared', 'undeclared', 'undeclared']);
    expect(gate.postcheck!.stats()).toMatchObject({ passages: 3, declared: 1, undeclared: 2, flagged: 2 });

    // The daemon still holds the store: reconcile reads it beside it.
    const json = await reconcileCli(['--data-dir', dataDir, '--format', 'json']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as Reconciliation;
    expect(report.timeZone).toBe('Asia/Ho_Chi_Minh');
    expect(report.totals).toMatchObject({
      passages: 3,
      declared: 1,
      undeclared: 2,
      flagged: 2,
      declarationsUsedTwice: 1,
    });
    expect(report.undeclared.map((p) => p.plate)).toEqual(['30A11111', '29C12345']);
    for (const p of report.undeclared) expect(p.passageId).toMatch(/^[0-9A-Z]{26}$/);
    expect(report.usedTwice).toMatchObject([{ declarationId: 'VNPAY-2026-0001', plate: '29C12345' }]);
    const csv = await reconcileCli(['--data-dir', dataDir, '--format', 'csv', '--day', report.day]);
    expect(csv.code).toBe(0);
    expect(csv.stdout.trimEnd().split('\r\n')).toHaveLength(3);
    const bad = await reconcileCli(['--data-dir', dataDir, '--day', '2026-02-30']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--day: expected a date YYYY-MM-DD');
  });
});
