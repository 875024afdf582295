import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Renders short clips with the real script and checks them with the real ffprobe: lane-1's
// scene (2 vehicles, 10 s) and lane-2's, the yard's exit (its first vehicle, in its slot 0.8 s
// later than lane-1's).
const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/render-demo-clip.mjs', import.meta.url));
const W = 1280,
  H = 720;

interface Span {
  start: number;
  end: number;
  firstFrame: number;
  lastFrame: number;
}
interface Sidecar {
  clip: string;
  scene?: string;
  width: number;
  height: number;
  fps: number;
  frames: number;
  durationSeconds: number;
  vehicles: {
    index: number;
    direction: 'toward' | 'away';
    plate: { text: string; display: string; country: string; kind: string; layout: string; colour: string } | null;
    secondPlate?: { text: string };
    window: { start: number; end: number };
    visible: Span;
    stopped: Span;
    plateBoxWhenStopped: { x: number; y: number; w: number; h: number };
  }[];
}

let dir: string;
let clip: string;
let sidecar: Sidecar;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'demo-clip-'));
  clip = join(dir, 'lane-1.mp4');
  const { stdout } = await run(process.execPath, [
    script,
    '--out',
    clip,
    '--vehicles',
    '2',
    '--frames-dir',
    join(dir, 'frames'),
    '--every',
    '25',
  ]);
  expect(stdout).toContain(clip);
  sidecar = JSON.parse(await readFile(join(dir, 'lane-1.json'), 'utf8'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function probe(args: string[], file = clip) {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', ...args, '-of', 'json', file], {
    maxBuffer: 1 << 24,
  });
  return JSON.parse(stdout);
}

/** Decodes frame `n` of the clip to packed RGB. */
async function frameAt(n: number, file = clip): Promise<Buffer> {
  const { stdout } = await run(
    'ffmpeg',
    [
      '-v',
      'error',
      '-i',
      file,
      '-vf',
      `select=eq(n\\,${n})`,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    {
      encoding: 'buffer',
      maxBuffer: 1 << 24,
    },
  );
  return stdout;
}

/** Mean absolute difference of two RGB frames inside a box. */
function meanDiff(a: Buffer, b: Buffer, box = { x: 0, y: 0, w: W, h: H }): number {
  let sum = 0;
  for (let y = box.y; y < box.y + box.h; y++) {
    for (let i = (y * W + box.x) * 3; i < (y * W + box.x + box.w) * 3; i++) sum += Math.abs(a[i]! - b[i]!);
  }
  return sum / (box.w * box.h * 3);
}

describe('scripts/render-demo-clip.mjs', () => {
  it('encodes 1280x720 H.264 at 10 fps, 5 s per vehicle', async () => {
    const { streams } = await probe([
      '-show_entries',
      'stream=codec_name,width,height,pix_fmt,r_frame_rate,nb_frames,duration',
    ]);
    const [s] = streams;
    expect(s).toMatchObject({
      codec_name: 'h264',
      width: W,
      height: H,
      pix_fmt: 'yuv420p',
      r_frame_rate: '10/1',
      nb_frames: '100',
    });
    expect(Number(s.duration)).toBeCloseTo(10, 1);
  });

  it('puts a key frame at least every second so RTSP clients join quickly', async () => {
    const { packets } = await probe(['-show_entries', 'packet=flags']);
    const keys = packets.flatMap((p: { flags: string }, i: number) => (p.flags.includes('K') ? [i] : []));
    expect(keys[0]).toBe(0);
    const gaps = keys.slice(1).map((k: number, i: number) => k - keys[i]);
    expect(Math.max(...gaps, packets.length - keys.at(-1))).toBeLessThanOrEqual(10);
  });

  it('writes a sidecar with each vehicle plate and its time windows', () => {
    expect(sidecar).toMatchObject({
      clip: 'lane-1.mp4',
      width: W,
      height: H,
      fps: 10,
      frames: 100,
      durationSeconds: 10,
    });
    expect(sidecar.vehicles.map((v) => v.plate)).toEqual([
      { text: '29C12345', display: '29C-123.45', country: 'VN', kind: 'car', layout: 'one-row', colour: 'white' },
      {
        text: '59P166480',
        display: '59-P1 664.80',
        country: 'VN',
        kind: 'motorbike',
        layout: 'two-row',
        colour: 'white',
      },
    ]);
    sidecar.vehicles.forEach((v, i) => {
      expect(v.window).toEqual({ start: i * 5, end: (i + 1) * 5 });
      expect(v.visible.start).toBeGreaterThanOrEqual(v.window.start);
      expect(v.visible.end).toBeLessThan(v.window.end);
      expect(v.stopped.start).toBeGreaterThan(v.visible.start);
      expect(v.stopped.end).toBeLessThan(v.visible.end);
      expect(v.stopped.end - v.stopped.start).toBeGreaterThanOrEqual(1.5);
      expect(v.stopped.firstFrame).toBe(Math.round(v.stopped.start * 10));
      // Big enough to read: the stopped plate is 160–260 px wide, inside the frame.
      const box = v.plateBoxWhenStopped;
      expect(box.w).toBeGreaterThanOrEqual(160);
      expect(box.w).toBeLessThanOrEqual(260);
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.y + box.h).toBeLessThanOrEqual(H);
    });
  });

  it('starts and ends every vehicle on the empty road (a seamless loop)', async () => {
    const first = await frameAt(0);
    for (const n of [49, 50, 99]) {
      // Same road; only the encoder's handling of the sensor noise differs (~2 levels).
      // Any part of a vehicle in the frame would add far more (a stopped one: ~18).
      expect(meanDiff(first, await frameAt(n)), `frame ${n}`).toBeLessThan(4);
    }
  });

  it('shows each plate where the sidecar says while the vehicle is stopped', async () => {
    const first = await frameAt(0);
    for (const v of sidecar.vehicles) {
      const stopped = await frameAt(Math.round((v.stopped.firstFrame + v.stopped.lastFrame) / 2));
      expect(meanDiff(first, stopped, v.plateBoxWhenStopped)).toBeGreaterThan(30);
      // The plate is dark characters on a light plate: both extremes are inside its box.
      const { x, y, w, h } = v.plateBoxWhenStopped;
      const luma: number[] = [];
      for (let yy = y + 4; yy < y + h - 4; yy++) {
        for (let xx = x + 4; xx < x + w - 4; xx++) {
          const i = (yy * W + xx) * 3;
          luma.push((stopped[i]! + stopped[i + 1]! + stopped[i + 2]!) / 3);
        }
      }
      luma.sort((a, b) => a - b);
      expect(luma[Math.floor(luma.length * 0.05)]).toBeLessThan(70);
      expect(luma[Math.floor(luma.length * 0.95)]).toBeGreaterThan(170);
    }
  });

  it('writes every Nth frame as JPEG with --frames-dir', () => {
    for (const n of ['0000', '0025', '0050', '0075'])
      expect(existsSync(join(dir, 'frames', `frame-${n}.jpg`))).toBe(true);
    expect(existsSync(join(dir, 'frames', 'frame-0010.jpg'))).toBe(false);
  });

  it('rejects a vehicle count it has no vehicles for', async () => {
    await expect(
      run(process.execPath, [script, '--out', join(dir, 'bad.mp4'), '--vehicles', '0']),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--vehicles'),
    });
    expect(existsSync(join(dir, 'bad.mp4'))).toBe(false);
  });
});

describe('scripts/render-demo-clip.mjs --scene exit', () => {
  let exitClip: string;
  let exit: Sidecar;

  beforeAll(async () => {
    exitClip = join(dir, 'lane-2.mp4');
    await run(process.execPath, [script, '--scene', 'exit', '--out', exitClip, '--vehicles', '1']);
    exit = JSON.parse(await readFile(join(dir, 'lane-2.json'), 'utf8'));
  });

  it("puts its first vehicle, the truck leaving the yard, in slot 2, 0.8 s later than lane-1's slots", async () => {
    expect(exit).toMatchObject({ clip: 'lane-2.mp4', scene: 'exit', width: W, height: H, fps: 10, frames: 158 });
    const { streams } = await probe(['-show_entries', 'stream=width,height,r_frame_rate,nb_frames'], exitClip);
    expect(streams[0]).toMatchObject({ width: W, height: H, r_frame_rate: '10/1', nb_frames: '158' });
    expect(exit.vehicles).toHaveLength(1);
    const [truck] = exit.vehicles;
    expect(truck!.plate?.text).toBe('云A68420');
    expect(truck!.secondPlate?.text).toBe('T2513579');
    expect(truck!.window.start).toBeCloseTo(10.8, 6);
    expect(truck!.window.end).toBeCloseTo(15.8, 6);
    expect(truck!.stopped.firstFrame).toBeGreaterThan(108);
    expect(truck!.stopped.lastFrame).toBeLessThan(158);
  });

  it('shows the empty road until then and after, and the plate while the truck is stopped', async () => {
    const first = await frameAt(0, exitClip);
    for (const n of [60, 107, 157]) expect(meanDiff(first, await frameAt(n, exitClip)), `frame ${n}`).toBeLessThan(4);
    const [truck] = exit.vehicles;
    const stopped = await frameAt(Math.round((truck!.stopped.firstFrame + truck!.stopped.lastFrame) / 2), exitClip);
    expect(meanDiff(first, stopped, truck!.plateBoxWhenStopped)).toBeGreaterThan(30);
  });

  it("is another scene than lane-1's", async () => {
    expect(meanDiff(await frameAt(0), await frameAt(0, exitClip))).toBeGreaterThan(10);
  });

  it('rejects a scene it does not have', async () => {
    await expect(
      run(process.execPath, [script, '--scene', 'parking', '--out', join(dir, 'bad.mp4')]),
    ).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--scene: expected entry or exit') });
  });
});
