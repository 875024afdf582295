import { copyFileSync, readdirSync, truncateSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../../src/config/index.js';
import { diskCheck } from '../../src/doctor/checks/disk.js';
import { modelsCheck } from '../../src/doctor/checks/models.js';
import { outboxCheck } from '../../src/doctor/checks/outbox.js';
import { DEFAULT_MODELS_DIR } from '../../src/vision/engines.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

// The checks that read only this computer: the outbox's oldest undelivered event, read beside
// the store's writer, and the disk's room for the store's quota.

const dirs = useTempDirs();

function configFor(dataDir: string, extra: object = {}): Config {
  return configSchema.parse({
    site: { id: 'mlt-kth', name: 'A' },
    dataDir,
    mqtt: { url: 'mqtt://127.0.0.1:1883' },
    lanes: [
      {
        id: 'lane-1',
        name: 'L',
        direction: 'entry',
        camera: { url: 'rtsp://127.0.0.1:1/x' },
        roi: { x: 0, y: 0, w: 10, h: 10 },
      },
    ],
    ...extra,
  });
}

const run = (check: ReturnType<typeof outboxCheck>, config: Config) =>
  check.run({ config, configPath: 'gate.yaml', snapshotDir: '/tmp', signal: new AbortController().signal });

describe('doctor: outbox', () => {
  it('is ok with no store yet, and with every event delivered', async () => {
    const dir = dirs.make();
    expect(await run(outboxCheck(), configFor(join(dir, 'none')))).toMatchObject({ severity: 'ok' });
    const store = dirs.open(dir, {}, new FakeClock(Date.now()));
    try {
      expect(await run(outboxCheck(), configFor(dir))).toMatchObject({
        severity: 'ok',
        detail: 'every event delivered to central',
      });
    } finally {
      store.close();
    }
  });

  it('warns after 15 min undelivered and fails after a day, beside the open store', async () => {
    for (const [ageMs, severity] of [
      [60_000, 'ok'],
      [2 * 3600_000, 'warn'],
      [30 * 3600_000, 'fail'],
    ] as const) {
      const dir = dirs.make();
      const store = dirs.open(dir, {}, new FakeClock(Date.now() - ageMs));
      try {
        store.events.append({ type: 'plate.read', laneId: 'lane-1', payload: {} });
        store.events.append({ type: 'plate.read', laneId: 'lane-1', payload: {} });
        const result = await run(outboxCheck(), configFor(dir));
        expect({ ageMs, ...result }).toMatchObject({
          ageMs,
          severity,
          detail: expect.stringMatching(/^2 events not yet delivered, the oldest from /),
        });
      } finally {
        store.close();
      }
    }
  });
});

describe('doctor: models', () => {
  const platenet = (modelsDir?: string, recognition: { secondReader?: boolean } = {}) =>
    configFor(dirs.make(), {
      lanes: [
        {
          id: 'lane-1',
          name: 'L',
          direction: 'entry',
          camera: { url: 'rtsp://127.0.0.1:1/x' },
          roi: { x: 0, y: 0, w: 10, h: 10 },
          recognition: { engine: 'platenet', modelsDir, ...recognition },
        },
      ],
    });

  it('passes the shipped models, and fails a model that is not the one its manifest describes', async () => {
    expect(await run(modelsCheck(), platenet())).toMatchObject({
      severity: 'ok',
      detail: '2 files of platenet match their manifests and pins',
    });
    const copy = dirs.make();
    for (const file of readdirSync(DEFAULT_MODELS_DIR)) copyFileSync(join(DEFAULT_MODELS_DIR, file), join(copy, file));
    truncateSync(join(copy, 'plate-reader.onnx'), 1000);
    const result = await run(modelsCheck(), platenet(copy));
    expect(result).toMatchObject({
      severity: 'fail',
      detail: expect.stringContaining(`${join(copy, 'plate-reader.onnx')}: not the model`),
      fix: expect.stringContaining('reinstall smartgate'),
    });
  });

  it('checks the second reader when a lane reads with it, and only then', async () => {
    const copy = dirs.make();
    for (const file of readdirSync(DEFAULT_MODELS_DIR)) copyFileSync(join(DEFAULT_MODELS_DIR, file), join(copy, file));
    expect(await run(modelsCheck(), platenet(copy, { secondReader: true }))).toMatchObject({
      severity: 'ok',
      detail: '3 files of platenet match their manifests and pins',
    });
    truncateSync(join(copy, 'plate-reader-2.onnx'), 1000);
    expect(await run(modelsCheck(), platenet(copy, { secondReader: true }))).toMatchObject({
      severity: 'fail',
      detail: expect.stringContaining(`${join(copy, 'plate-reader-2.onnx')}: not the model`),
    });
    expect(await run(modelsCheck(), platenet(copy))).toMatchObject({
      severity: 'ok',
      detail: '2 files of platenet match their manifests and pins',
    });
  });

  it('counts each file once when lanes share a folder, one of them with the second reader', async () => {
    const lane = (id: string, secondReader: boolean) => ({
      id,
      name: id,
      direction: 'entry',
      camera: { url: 'rtsp://127.0.0.1:1/x' },
      roi: { x: 0, y: 0, w: 10, h: 10 },
      recognition: { engine: 'platenet', secondReader },
    });
    const config = configFor(dirs.make(), { lanes: [lane('lane-1', false), lane('lane-2', true)] });
    expect(await run(modelsCheck(), config)).toMatchObject({
      severity: 'ok',
      detail: '3 files of platenet match their manifests and pins',
    });
  });
});

describe('doctor: disk', () => {
  it('is ok when the quota fits, warns when the disk fills before it, and names the data folder', async () => {
    const dir = dirs.make();
    await mkdir(join(dir, 'data'));
    const fits = await run(diskCheck(), configFor(join(dir, 'data'), { store: { quotaMb: 1 } }));
    expect(fits).toMatchObject({ severity: 'ok', detail: expect.stringContaining(join(dir, 'data')) });
    // A quota no disk here has: 1 PB.
    const tooBig = await run(diskCheck(), configFor(join(dir, 'data'), { store: { quotaMb: 1024 ** 3 } }));
    expect(tooBig).toMatchObject({
      severity: 'warn',
      fix: expect.stringMatching(/^lower store\.quotaMb to at most \d+/),
    });
  });

  it('measures the nearest existing folder before the data folder is made', async () => {
    const dir = dirs.make();
    const result = await run(diskCheck(), configFor(join(dir, 'not', 'yet'), { store: { quotaMb: 1 } }));
    expect(result).toMatchObject({ severity: 'ok', detail: expect.stringContaining(`${dir}: `) });
  });
});
