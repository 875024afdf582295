import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The synthetic detector scenes (scripts/synth/scenes.mjs and scene-art.mjs, plain ESM
// JavaScript; docs/synthetic-data.md, "Detector scenes").
const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/synth/scenes.mjs', import.meta.url));

type Point = [number, number];
interface PlateLabel {
  text: string;
  display: string;
  country: string;
  kind: string;
  rows: number;
  corners: Point[];
  box: [number, number, number, number];
  paired_with?: number;
}
interface SceneLabel {
  image: string;
  width: number;
  height: number;
  plates: PlateLabel[];
}
interface Plan {
  width: number;
  height: number;
  plates: unknown[];
}
interface SceneArt {
  planScene(
    seed: number,
    index: number,
    opts: { width: number; height: number; kinds: string[]; pairs?: number },
  ): Plan;
  renderScene(plan: Plan, opts?: { plates?: boolean; raw?: boolean }): Promise<Buffer>;
  sceneLabel(plan: Plan, image: string): SceneLabel;
}
// Imported by URL so the type checker leaves the JavaScript modules alone.
const { planScene, renderScene, sceneLabel } = (await import(
  new URL('../../scripts/synth/scene-art.mjs', import.meta.url).href
)) as SceneArt;
const { SYNTH_KINDS } = (await import(new URL('../../scripts/synth/specs.mjs', import.meta.url).href)) as {
  SYNTH_KINDS: Record<string, unknown>;
};
const KINDS = Object.keys(SYNTH_KINDS);

const SEED = 20261125;
const SIZE = { width: 320, height: 256, kinds: KINDS, pairs: 0.4 };
const plans = Array.from({ length: 400 }, (_, i) => planScene(SEED, i, SIZE));
const labels = plans.map((p, i) => sceneLabel(p, `images/${i}.jpg`));

/** Whether (x, y) is inside the convex quad (either winding). */
function inside(q: Point[], x: number, y: number): boolean {
  let sign = 0;
  for (let i = 0; i < 4; i++) {
    const [ax, ay] = q[i]!,
      [bx, by] = q[(i + 1) % 4]!;
    const c = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
    if (c !== 0) {
      if (sign && Math.sign(c) !== sign) return false;
      sign = Math.sign(c);
    }
  }
  return true;
}

describe('synthetic scene plans', () => {
  it('have 0 to 3 plates, and some scenes none', () => {
    const counts = labels.map((l) => l.plates.length);
    expect(Math.min(...counts)).toBe(0);
    expect(Math.max(...counts)).toBe(3);
    expect(counts.filter((n) => n === 0).length).toBeGreaterThan(20);
  });

  it('put every corner inside the image, clockwise from the top-left, with the box around them', () => {
    for (const l of labels) {
      for (const p of l.plates) {
        expect(p.corners).toHaveLength(4);
        for (const [x, y] of p.corners) {
          expect(x).toBeGreaterThanOrEqual(0);
          expect(y).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThanOrEqual(l.width);
          expect(y).toBeLessThanOrEqual(l.height);
        }
        const [bx, by, bw, bh] = p.box;
        const xs = p.corners.map((c) => c[0]),
          ys = p.corners.map((c) => c[1]);
        expect(bx).toBeCloseTo(Math.min(...xs), 1);
        expect(by).toBeCloseTo(Math.min(...ys), 1);
        expect(bx + bw).toBeCloseTo(Math.max(...xs), 1);
        expect(by + bh).toBeCloseTo(Math.max(...ys), 1);
        // Clockwise on screen (y down): positive shoelace area; top-left is left of top-right and above bottom-left.
        const area = p.corners.reduce((s, [x0, y0], i) => {
          const [x1, y1] = p.corners[(i + 1) % 4]!;
          return s + x0 * y1 - x1 * y0;
        }, 0);
        expect(area).toBeGreaterThan(0);
        expect(p.corners[0]![0]).toBeLessThan(p.corners[1]![0]);
        expect(p.corners[0]![1]).toBeLessThan(p.corners[3]![1]);
        if (p.paired_with === undefined) {
          expect(bw / l.width).toBeGreaterThanOrEqual(0.0299);
          expect(bw / l.width).toBeLessThanOrEqual(0.3501);
        } else {
          // A pair's second plate is sized by its real width against the first's (190 to 520 mm
          // wide: x2.7 at most) seen from one place (the yaw makes the nearer one wider).
          const ratio = bw / l.plates[p.paired_with]!.box[2];
          expect(ratio).toBeGreaterThan(0.2);
          expect(ratio).toBeLessThan(5);
        }
      }
    }
  });

  it('cover one- and two-row plates of both countries without overlapping', () => {
    const all = labels.flatMap((l) => l.plates);
    expect(new Set(all.map((p) => p.rows))).toEqual(new Set([1, 2]));
    expect(new Set(all.map((p) => p.country))).toEqual(new Set(['VN', 'CN']));
    expect(new Set(all.map((p) => p.kind)).size).toBeGreaterThan(10);
    for (const l of labels) {
      for (const [i, a] of l.plates.entries()) {
        for (const [j, b] of l.plates.slice(i + 1).entries()) {
          if (b.paired_with === i) {
            // A pair's boxes may touch when the vehicle is rolled; their quads do not.
            expect(
              [
                ...a.corners.filter(([x, y]) => inside(b.corners, x, y)),
                ...b.corners.filter(([x, y]) => inside(a.corners, x, y)),
              ],
              `${l.image} ${i}+${i + 1 + j}`,
            ).toEqual([]);
            continue;
          }
          const apart =
            a.box[0] + a.box[2] < b.box[0] ||
            b.box[0] + b.box[2] < a.box[0] ||
            a.box[1] + a.box[3] < b.box[1] ||
            b.box[1] + b.box[3] < a.box[1];
          expect(apart).toBe(true);
        }
      }
    }
  });

  it("put some vehicles' two plates side by side, closer than two plates' widths, on either side", () => {
    const pairs = labels.flatMap((l) =>
      l.plates.flatMap((b) => (b.paired_with === undefined ? [] : [[l.plates[b.paired_with]!, b] as const])),
    );
    // 45 % of scenes have 2-3 plates and 40 % of those a pair (some cannot be placed).
    expect(pairs.length).toBeGreaterThan(40);
    expect(pairs.length).toBeLessThan(110);
    const centre = (p: PlateLabel) => [p.box[0] + p.box[2] / 2, p.box[1] + p.box[3] / 2] as const;
    for (const [a, b] of pairs) {
      const [ax, ay] = centre(a),
        [bx, by] = centre(b);
      // Side by side: further apart across than up or down, and closer than two plates' widths.
      expect(Math.abs(bx - ax)).toBeGreaterThan(Math.abs(by - ay));
      expect(Math.abs(bx - ax)).toBeLessThan(2 * (a.box[2] + b.box[2]));
    }
    expect(new Set(pairs.map(([a, b]) => (centre(b)[0] > centre(a)[0] ? 'right' : 'left')))).toEqual(
      new Set(['left', 'right']),
    );
  });

  it('without pairs (the default) put no two plates on one vehicle', () => {
    const { pairs: _, ...single } = SIZE;
    const plain = Array.from({ length: 400 }, (_, i) => sceneLabel(planScene(SEED, i, single), `images/${i}.jpg`));
    expect(plain.flatMap((l) => l.plates).filter((p) => p.paired_with !== undefined)).toEqual([]);
    expect(plain.flatMap((l) => l.plates).length).toBeGreaterThan(500);
  });

  it('depend only on the seed and the index', () => {
    expect(planScene(SEED, 17, SIZE)).toEqual(plans[17]);
    expect(planScene(SEED + 1, 17, SIZE)).not.toEqual(plans[17]);
  });
});

describe('synthetic scene drawing', () => {
  it('pastes each plate where its corners say: the quad differs from the same scene drawn without plates', async () => {
    const withPlates = plans
      .map((p, i) => [p, labels[i]!] as const)
      .filter(([, l]) => l.plates.length >= 2)
      .slice(0, 6);
    expect(withPlates.length).toBe(6);
    for (const [plan, label] of withPlates) {
      const [on, off] = await Promise.all([
        renderScene(plan, { raw: true }),
        renderScene(plan, { plates: false, raw: true }),
      ]);
      const W = plan.width;
      for (const p of label.plates) {
        const [bx, by, bw, bh] = p.box;
        let diff = 0,
          n = 0;
        for (let y = Math.floor(by); y <= by + bh; y++) {
          for (let x = Math.floor(bx); x <= bx + bw; x++) {
            if (x < 0 || y < 0 || x >= W || y >= plan.height) continue;
            const k = (y * W + x) * 3;
            const d =
              (Math.abs(on[k]! - off[k]!) + Math.abs(on[k + 1]! - off[k + 1]!) + Math.abs(on[k + 2]! - off[k + 2]!)) /
              3;
            if (inside(p.corners, x + 0.5, y + 0.5)) {
              diff += d;
              n++;
            }
          }
        }
        expect(n).toBeGreaterThan(0);
        expect(diff / n).toBeGreaterThan(8);
      }
    }
    // A scene without plates is drawn the same either way.
    const empty = plans.find((p) => p.plates.length === 0)!;
    expect(
      (await renderScene(empty, { raw: true })).equals(await renderScene(empty, { plates: false, raw: true })),
    ).toBe(true);
  });
});

describe('scripts/synth/scenes.mjs', () => {
  const dirs: string[] = [];
  const hashDir = async (dir: string) => {
    const h = createHash('sha256');
    for (const sub of ['images', 'labels']) {
      for (const f of (await readdir(join(dir, sub))).sort()) h.update(f).update(await readFile(join(dir, sub, f)));
    }
    return h.update(await readFile(join(dir, 'labels.jsonl'))).digest('hex');
  };
  beforeAll(async () => {
    for (const [seed, jobs] of [
      [7, 2],
      [7, 1],
      [8, 2],
    ] as const) {
      const dir = await mkdtemp(join(tmpdir(), 'synth-scenes-'));
      dirs.push(dir);
      await run(process.execPath, [
        script,
        '--out',
        dir,
        '--count',
        '6',
        '--seed',
        String(seed),
        '--size',
        '320x320',
        '--jobs',
        String(jobs),
      ]);
    }
  });
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('writes the same files for the same seed whatever the jobs, and others for another seed', async () => {
    const [a, b, c] = await Promise.all(dirs.map(hashDir));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('writes one JSON label line and one YOLO file per JPEG image, and a manifest', async () => {
    const dir = dirs[0]!;
    const lines = (await readFile(join(dir, 'labels.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as SceneLabel);
    expect(lines.map((l) => l.image)).toEqual(
      Array.from({ length: 6 }, (_, i) => `images/${String(i + 1).padStart(6, '0')}.jpg`),
    );
    for (const l of lines) {
      const meta = await sharp(join(dir, l.image)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 320, 320]);
      const yolo = (
        await readFile(join(dir, l.image.replace('images/', 'labels/').replace('.jpg', '.txt')), 'utf8')
      ).trim();
      const rows = yolo ? yolo.split('\n').map((r) => r.split(' ').map(Number)) : [];
      expect(rows).toHaveLength(l.plates.length);
      for (const [r, p] of rows.map((r, i) => [r, l.plates[i]!] as const)) {
        expect(r).toHaveLength(13);
        expect(r[0]).toBe(p.rows - 1);
        expect(r[1]! * 320).toBeCloseTo(p.box[0] + p.box[2] / 2, 1);
        expect(r[5]! * 320).toBeCloseTo(p.corners[0]![0], 1);
        expect(r[12]! * 320).toBeCloseTo(p.corners[3]![1], 1);
      }
    }
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ generator: 'scripts/synth/scenes.mjs', seed: 7, count: 6, size: '320x320' });
    expect(manifest.counts.plates).toBe(lines.reduce((s, l) => s + l.plates.length, 0));
    expect(manifest.counts.pairs).toBe(0);
    expect(manifest.rates.pairs).toBe(0);
  });

  it('refuses a --pairs share outside 0-1, naming the option', async () => {
    const err = (await run(process.execPath, [
      script,
      '--out',
      join(tmpdir(), 'never-written'),
      '--count',
      '1',
      '--pairs',
      '1.5',
    ]).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(2); // the script's usage errors
    expect(err.stderr).toContain('--pairs 1.5: expected a share between 0 and 1');
  });
});
