#!/usr/bin/env node
// Synthetic scenes for training a plate detector (issue 6, part 2): procedural or user-supplied
// backgrounds with 0-3 plates (scripts/synth/specs.mjs, drawn by scripts/lib/plate-art.mjs)
// pasted under a known perspective, with occlusion, blur, lighting and camera augmentations.
// docs/synthetic-data.md, "Detector scenes".
//
//   node scripts/synth/scenes.mjs --out DIR --count N [--seed S] [--size 640x640] [--jobs 2]
//        [--kinds K1,K2,...|vn|cn] [--backgrounds DIR] [--pairs SHARE] [--no-yolo] [--resume]
//
// Writes DIR/images/000001.jpg ..., DIR/labels.jsonl (one JSON line per image: the plates' text,
// country, kind, rows, four corners clockwise from the plate's top-left, box), DIR/labels/000001.txt
// (YOLO pose format: class = rows - 1, cx cy w h, 4 corners, normalised), DIR/dataset.yaml and
// DIR/manifest.json. Scene i depends only on (seed, i), not on --jobs; --resume keeps the images
// already written. Needs dist/ built (npm run build): the plate texts are checked with parsePlate.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import {
  SCENE_RATES,
  SCENE_VERSION,
  listBackgrounds,
  planScene,
  renderScene,
  sceneLabel,
  yoloLines,
} from './scene-art.mjs';
import { GENERATOR_VERSION, resolveKinds } from './specs.mjs';

const imageName = (i) => `images/${String(i + 1).padStart(6, '0')}.jpg`;
const yoloName = (i) => `labels/${String(i + 1).padStart(6, '0')}.txt`;

/** Draws and writes scenes `indices` (worker side, or in-process with --jobs 1). */
async function renderAll({ out, seed, indices, planOpts, yolo, resume }, progress) {
  let kept = 0;
  for (const i of indices) {
    const file = join(out, imageName(i));
    const plan = planScene(seed, i, planOpts);
    if (yolo) writeFileSync(join(out, yoloName(i)), yoloLines(sceneLabel(plan, imageName(i))));
    if (resume && existsSync(file)) kept++;
    else {
      await writeFile(`${file}.partial`, await renderScene(plan));
      renameSync(`${file}.partial`, file);
    }
    progress();
  }
  return kept;
}

if (!isMainThread) {
  sharp.concurrency(1);
  sharp.cache(false);
  const kept = await renderAll(workerData, () => parentPort.postMessage({ done: 1 }));
  parentPort.postMessage({ kept });
} else {
  await main();
}

function fail(message) {
  console.error(`synth/scenes: ${message}`);
  process.exit(2);
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        out: { type: 'string' },
        count: { type: 'string', default: '1000' },
        seed: { type: 'string', default: '1' },
        size: { type: 'string', default: '640x640' },
        kinds: { type: 'string' },
        backgrounds: { type: 'string' },
        jobs: { type: 'string', default: '2' },
        'no-yolo': { type: 'boolean', default: false },
        resume: { type: 'boolean', default: false },
        pairs: { type: 'string', default: '0' },
      },
    }));
  } catch (err) {
    fail(err.message);
  }
  if (!values.out) fail('--out DIR is required');
  const out = resolve(values.out);
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1) fail('--count: expected a positive integer');
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) fail('--seed: expected an integer 0..4294967295');
  const m = /^(\d+)x(\d+)$/.exec(values.size);
  if (!m || Number(m[1]) < 64 || Number(m[2]) < 64 || Number(m[1]) > 4096 || Number(m[2]) > 4096)
    fail('--size: expected WxH, 64..4096');
  const [width, height] = [Number(m[1]), Number(m[2])];
  let kinds;
  try {
    kinds = resolveKinds(values.kinds);
  } catch (err) {
    fail(`--kinds: ${err.message}`);
  }
  let backgrounds = [];
  if (values.backgrounds) {
    try {
      backgrounds = listBackgrounds(resolve(values.backgrounds));
    } catch (err) {
      fail(`--backgrounds: ${err.message}`);
    }
    if (!backgrounds.length) fail(`--backgrounds: no .jpg/.png/.webp images in ${values.backgrounds}`);
  }
  const pairs = Number(values.pairs);
  if (!(pairs >= 0 && pairs <= 1))
    fail(
      `--pairs ${values.pairs}: expected a share between 0 and 1 (0.4: two plates side by side in 40 % of the scenes with two or three)`,
    );
  const jobs = Math.max(1, Math.min(16, Number(values.jobs) || 2));
  const yolo = !values['no-yolo'];
  const started = performance.now();
  const { parsePlate } = await import(new URL('../../dist/plates/parse.js', import.meta.url).href);

  const planOpts = { width, height, kinds, backgrounds, pairs };
  const plans = Array.from({ length: count }, (_, i) => planScene(seed, i, planOpts));
  for (const plan of plans) {
    for (const { spec: s } of plan.plates) {
      const p = parsePlate(s.rows, s.hint ? { color: s.hint } : {});
      if (!p.valid || p.text !== s.text || p.country !== s.country || p.kind !== s.kind) {
        fail(
          `scene ${plan.index + 1}: the grammar reads ${s.rows.join(' ')} as ${p.valid ? `${p.country} ${p.kind} ${p.text}` : `invalid (${p.reason})`}, expected ${s.country} ${s.kind}`,
        );
      }
    }
  }
  mkdirSync(join(out, 'images'), { recursive: true });
  if (yolo) mkdirSync(join(out, 'labels'), { recursive: true });

  let done = 0,
    kept = 0;
  const progress = () => {
    if (++done % 500 === 0) console.error(`synth/scenes: ${done}/${count}`);
  };
  const share = (w) => plans.map((p) => p.index).filter((i) => i % jobs === w);
  const job = { out, seed, planOpts, yolo, resume: values.resume };
  if (jobs === 1) kept = await renderAll({ ...job, indices: share(0) }, progress);
  else {
    await Promise.all(
      Array.from(
        { length: jobs },
        (_, w) =>
          new Promise((ok, ko) => {
            const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { ...job, indices: share(w) } });
            worker.on('message', (msg) => (msg.done ? progress() : (kept += msg.kept)));
            worker.on('error', ko);
            worker.on('exit', (code) => (code === 0 ? ok() : ko(new Error(`worker ${w} exited with ${code}`))));
          }),
      ),
    );
  }

  const labels = plans.map((plan) => sceneLabel(plan, imageName(plan.index)));
  writeFileSync(join(out, 'labels.jsonl'), labels.map((l) => JSON.stringify(l)).join('\n') + '\n');
  if (yolo) {
    writeFileSync(
      join(out, 'dataset.yaml'),
      [
        "# Ultralytics pose dataset: class = rows - 1, four corners clockwise from the plate's top-left.",
        `path: ${out}`,
        'train: images',
        'val: images',
        'kpt_shape: [4, 2]',
        'flip_idx: [1, 0, 3, 2]',
        'names:',
        '  0: one-row',
        '  1: two-row',
        '',
      ].join('\n'),
    );
  }
  const tally = (items, key) =>
    Object.fromEntries(
      Object.entries(items.reduce((acc, x) => ((acc[key(x)] = (acc[key(x)] ?? 0) + 1), acc), {})).sort(),
    );
  const all = labels.flatMap((l) => l.plates);
  const widths = all.map((p) => p.box[2] / width).sort((a, b) => a - b);
  const manifest = {
    generator: 'scripts/synth/scenes.mjs',
    version: SCENE_VERSION,
    specsVersion: GENERATOR_VERSION,
    seed,
    count,
    size: `${width}x${height}`,
    kinds,
    backgrounds: values.backgrounds ? { dir: resolve(values.backgrounds), files: backgrounds.length } : null,
    yolo,
    counts: {
      images: count,
      plates: all.length,
      platesPerImage: tally(labels, (l) => String(l.plates.length)),
      background: tally(labels, (l) => l.background),
      rows: tally(all, (p) => String(p.rows)),
      country: tally(all, (p) => p.country),
      kind: tally(all, (p) => `${p.country} ${p.kind}`),
      occluded: all.filter((p) => p.occluded > 0).length,
      pairs: all.filter((p) => p.paired_with !== undefined).length,
    },
    plateWidthShare: widths.length
      ? { min: +widths[0].toFixed(3), median: +widths[widths.length >> 1].toFixed(3), max: +widths.at(-1).toFixed(3) }
      : null,
    rates: { ...SCENE_RATES, pairs },
    renderer: { sharp: sharp.versions.sharp, libvips: sharp.versions.vips },
  };
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `synth/scenes: wrote ${count} scenes (${all.length} plates) to ${out}${kept ? ` (${kept} kept from before)` : ''} in ${seconds.toFixed(1)} s`,
  );
}
