import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The lane test track end to end: a short track rendered by the real script (3 vehicles: the clean
// control, one at night, one in rain), played once through the lane the daemon composes (built
// dist/, default engine), and scored. The lane's speed is not asserted, only what it decided.
const run = promisify(execFile);
const renderer = fileURLToPath(new URL('../../scripts/render-demo-clip.mjs', import.meta.url));

interface Sidecar {
  scene: string;
  fps: number;
  durationSeconds: number;
  vehicles: {
    index: number;
    condition: string;
    plate: { text: string; display: string };
    readable: { start: number; end: number; firstFrame: number; lastFrame: number };
    stopped: { firstFrame: number };
  }[];
}
interface VehicleReport {
  index: number;
  condition: string;
  plates: string[];
  role: string;
  expected: string;
  outcome: 'right' | 'wrong' | 'missed';
  decided: { action: string; reason: string; plate: string; plateRight: boolean } | null;
  msFromReadable: number | null;
  extraDecisions: number;
}
interface Report {
  engine: string;
  vehicles: VehicleReport[];
  totals: { vehicles: number; right: number; wrong: number; missed: number };
  byCondition: Record<string, { vehicles: number; right: number; wrong: number; missed: number }>;
  lane: { camera: { framesIn: number }; reader: { inferences: number } };
}
interface LaneTrack {
  runLaneTrack(opts: { clip: string; sidecar: Sidecar }): Promise<Report>;
  formatReport(report: Report): string;
}
// Imported by URL so the type checker leaves the JavaScript module alone.
const { runLaneTrack, formatReport } = (await import(
  new URL('../../scripts/lib/lane-track.mjs', import.meta.url).href
)) as LaneTrack;

let dir: string;
let clip: string;
let sidecar: Sidecar;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bench-lane-'));
  clip = join(dir, 'track.mp4');
  await run(process.execPath, [renderer, '--scene', 'track', '--vehicles', '3', '--out', clip]);
  sidecar = JSON.parse(await readFile(join(dir, 'track.json'), 'utf8'));
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('render-demo-clip.mjs --scene track', () => {
  it('gives each vehicle its condition and a readable window inside its slot, the clean control first', () => {
    expect(sidecar).toMatchObject({ scene: 'track', fps: 10, durationSeconds: 15 });
    expect(sidecar.vehicles.map((v) => v.condition)).toEqual(['clean', 'night', 'rain']);
    sidecar.vehicles.forEach((v, i) => {
      expect(v.readable.start).toBeGreaterThanOrEqual(i * 5);
      expect(v.readable.end).toBeLessThan((i + 1) * 5);
      // Readable before it stops, and still while it stands at the barrier.
      expect(v.readable.firstFrame).toBeLessThanOrEqual(v.stopped.firstFrame);
      expect(v.readable.lastFrame).toBeGreaterThan(v.stopped.firstFrame);
    });
  });
});

describe('the lane test track (scripts/lib/lane-track.mjs)', () => {
  it('reports every vehicle once with its outcome, and decides the clean control right', async () => {
    const report = await runLaneTrack({ clip, sidecar });
    const table = formatReport(report);
    expect(report.vehicles.map((v) => [v.index, v.condition, v.plates])).toEqual(
      sidecar.vehicles.map((v) => [v.index, v.condition, [v.plate.display]]),
    );
    for (const v of report.vehicles) {
      expect(['right', 'wrong', 'missed'], table).toContain(v.outcome);
      expect(v.decided === null, table).toBe(v.outcome === 'missed');
      expect(v.msFromReadable === null, table).toBe(v.outcome === 'missed');
    }
    const { right, wrong, missed, vehicles } = report.totals;
    expect(right + wrong + missed).toBe(vehicles);
    expect(vehicles).toBe(3);
    // The control: a clean Vietnamese car on the allow list, opened for under its own plate.
    expect(report.vehicles[0], table).toMatchObject({
      condition: 'clean',
      role: 'allow',
      expected: 'open',
      outcome: 'right',
      decided: { action: 'open', reason: 'allowed', plate: sidecar.vehicles[0]!.plate.display, plateRight: true },
    });
    expect(report.byCondition.clean).toEqual({ vehicles: 1, right: 1, wrong: 0, missed: 0 });
    // The whole clip went through the camera and the reader.
    expect(report.lane.camera.framesIn).toBe(150);
    expect(report.lane.reader.inferences).toBeGreaterThan(0);
  }, 120_000);
});
