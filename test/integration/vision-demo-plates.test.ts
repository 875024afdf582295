import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/cli/recognize.js';
import { readPlates } from '../../src/lane/reading/plate-reading.js';
import { createEngine, type EngineName, type RecognitionEngine } from '../../src/vision/engines.js';
import { DEFAULT_MIN_CHAR_CONFIDENCE } from '../../src/vision/engine-names.js';
import { demoClip, type DemoVehicle } from '../helpers/demo-clip.js';

// Both engines on the demo clip's stopped vehicles (a still from the middle of each stop):
// every plate the clip shows is read exactly, one- and two-row, Vietnamese and Chinese (both
// plates of the cross-border truck), and
// nothing is read where the clip shows no plate. The demo lane runs on this, so a model that
// cannot read it is not one to ship.

interface StoppedVehicle extends DemoVehicle {
  stopped: { firstFrame: number; lastFrame: number };
}

const FPS = 10;
let dir: string;
let vehicles: StoppedVehicle[];
let clip: string;
const engines = new Map<EngineName, RecognitionEngine>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartgate-demo-plates-'));
  const demo = await demoClip();
  clip = demo.path;
  vehicles = demo.vehicles as StoppedVehicle[];
  for (const name of ['ppocr', 'platenet'] as const) engines.set(name, await createEngine(name));
}, 60_000);

afterAll(async () => {
  for (const engine of engines.values()) await engine.close();
  await rm(dir, { recursive: true, force: true });
});

async function stillOf(vehicle: StoppedVehicle) {
  const frame = Math.round((vehicle.stopped.firstFrame + vehicle.stopped.lastFrame) / 2);
  const path = join(dir, `vehicle-${vehicle.index}.png`);
  await promisify(execFile)('/usr/bin/ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-ss',
    String(frame / FPS),
    '-i',
    clip,
    '-frames:v',
    '1',
    '-y',
    path,
  ]);
  return decodeImage(path);
}

describe.each(['platenet', 'ppocr'] as const)('%s on the demo clip', (name) => {
  it("reads every stopped vehicle's plate exactly, and none where there is no plate", async () => {
    const engine = engines.get(name)!;
    const got: string[][] = [];
    for (const vehicle of vehicles) {
      const result = await readPlates(engine, await stillOf(vehicle), undefined, {
        countries: ['VN', 'CN'],
        minConfidence: 0.6,
        minCharConfidence: DEFAULT_MIN_CHAR_CONFIDENCE[name],
        withCrops: false,
      });
      got.push(result.plates.map((p) => p.plate.text).sort());
    }
    expect(got).toEqual(vehicles.map((v) => [v.plate, v.secondPlate].flatMap((p) => (p ? [p.text] : [])).sort()));
  }, 120_000);
});
