#!/usr/bin/env node
// Plate crops cut where the platenet detector puts the corners, for training the reader on what
// the engine will hand it (docs/training.md "Crops cut by the detector").
//
//   node scripts/train/detector-crops.mjs --data ../shared/datasets/vn-greenparking \
//       --out /work/data/gp-detector-crops [--models models] [--context 0.15]
//
// For each frame of a labels.tsv folder with a plate box (x y w h), the detector runs on the
// whole frame; the detection whose bounding box best overlaps the label's box (IoU >= 0.5) is
// pushed out by the engine's own margin (QUAD_MARGIN) and warped upright at its own size, with
// `--context` of its width and height more on every side so the reader's training jitter has
// real pixels to move into. The crop is written in grey (the reader reads luma) with the quad's
// box inside it in the labels, so scripts/train/reader.py reads the folder like any other.
//
// Held-out frames (scripts/lib/heldout.mjs, the rule eval.mjs and reader.py use for the source
// folder's name) are never written: the folder holds training frames only, so train it with
// `--val <folder name>=0`. Frames the detector misses are skipped and counted in manifest.json.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { isHeldOut } from '../lib/heldout.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { PlateNetEngine } = await import(join(root, 'dist/vision/platenet/engine.js'));
const { expandQuad, rectifyLuma } = await import(join(root, 'dist/vision/platenet/rectify.js'));

const GENERATOR = 'scripts/train/detector-crops.mjs';
const VERSION = '1.0.0';
const MIN_IOU = 0.5;

function usage(message) {
  if (message) console.error(`detector-crops: ${message}`);
  console.error('usage: node scripts/train/detector-crops.mjs --data FOLDER --out DIR [--models DIR] [--context 0.15]');
  process.exit(message ? 2 : 0);
}

function parseOptions() {
  try {
    return parseArgs({
      options: {
        data: { type: 'string' },
        out: { type: 'string' },
        models: { type: 'string', default: join(root, 'models') },
        context: { type: 'string', default: '0.15' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (err) {
    return usage(err.message); // an unknown option or a missing value: name it, no stack trace
  }
}
const opts = parseOptions();
if (opts.help) usage();
if (!opts.data) usage('--data is required: a labels.tsv folder whose rows have a plate box');
if (!opts.out) usage('--out is required: the folder to write');
const context = Number(opts.context);
if (!Number.isFinite(context) || context < 0 || context > 1)
  usage(`--context must be a number from 0 to 1, got "${opts.context}"`);

const dataDir = resolve(opts.data);
const sourceName = basename(dataDir);
if (!existsSync(join(dataDir, 'labels.tsv'))) usage(`--data ${dataDir} holds no labels.tsv`);
const lines = readFileSync(join(dataDir, 'labels.tsv'), 'utf8')
  .split('\n')
  .filter((l) => l.length > 0);
const header = lines[0].split('\t');
const col = (name) => header.indexOf(name);
for (const need of ['image', 'x', 'y', 'w', 'h', 'plate'])
  if (col(need) < 0) usage(`${dataDir}/labels.tsv has no "${need}" column`);

/** The four corners' bounding box. */
function quadBox(q) {
  const xs = q.map((p) => p[0]);
  const ys = q.map((p) => p[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
}

function iou(a, b) {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  return inter / (a.w * a.h + b.w * b.h - inter);
}

/** Mean length of two opposite edges. */
const edge = (a, b, c, d) => (Math.hypot(b[0] - a[0], b[1] - a[1]) + Math.hypot(d[0] - c[0], d[1] - c[1])) / 2;

const engine = await PlateNetEngine.create({ modelsDir: resolve(opts.models) });
const detectorManifest = JSON.parse(readFileSync(join(resolve(opts.models), 'plate-detector.manifest.json'), 'utf8'));
const outDir = resolve(opts.out);
mkdirSync(join(outDir, 'images'), { recursive: true });

// The source's other columns (plate, display, lines, format_ok …) are carried over as they are.
const carried = header.filter((name) => !['image', 'x', 'y', 'w', 'h'].includes(name));
const rows = [['image', 'x', 'y', 'w', 'h', ...carried, 'source_image', 'iou'].join('\t')];
const counts = { rows: 0, heldOut: 0, written: 0, skipped: {} };
const skip = (why) => (counts.skipped[why] = (counts.skipped[why] ?? 0) + 1);
try {
  for (const line of lines.slice(1)) {
    const cells = line.split('\t');
    counts.rows++;
    const image = cells[col('image')];
    if (isHeldOut(sourceName, image)) {
      counts.heldOut++;
      continue;
    }
    const box = {
      x: Number(cells[col('x')]),
      y: Number(cells[col('y')]),
      w: Number(cells[col('w')]),
      h: Number(cells[col('h')]),
    };
    if (!(box.w > 0 && box.h > 0)) {
      skip('no box');
      continue;
    }
    const { data, info } = await sharp(join(dataDir, image)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const frame = { width: info.width, height: info.height, data };
    const found = (await engine.detect(frame))
      .map((d) => ({ d, iou: iou(quadBox(d.corners), box) }))
      .sort((a, b) => b.iou - a.iou)[0];
    if (!found || found.iou < MIN_IOU) {
      skip('detector missed the plate');
      continue;
    }
    const quad = expandQuad(found.d.corners);
    const [tl, tr, br, bl] = quad;
    const w = edge(tl, tr, bl, br);
    const h = edge(tl, bl, tr, br);
    // The quad with `context` more per side, along its own axes (expandQuad's rule).
    const outer = expandQuad(quad, context);
    const outW = Math.max(8, Math.round(w * (1 + 2 * context)));
    const outH = Math.max(8, Math.round(h * (1 + 2 * context)));
    const luma = new Float32Array(outW * outH);
    if (!rectifyLuma(frame, outer, outW, outH, luma)) {
      skip('degenerate quad');
      continue;
    }
    const grey = Buffer.alloc(outW * outH);
    for (let i = 0; i < grey.length; i++) grey[i] = Math.max(0, Math.min(255, Math.round((luma[i] + 1) * 127.5)));
    const name = `images/${String(counts.written).padStart(5, '0')}.png`;
    await sharp(grey, { raw: { width: outW, height: outH, channels: 1 } })
      .png()
      .toFile(join(outDir, name));
    const inner = { x: (outW * context) / (1 + 2 * context), y: (outH * context) / (1 + 2 * context) };
    rows.push(
      [
        name,
        inner.x.toFixed(2),
        inner.y.toFixed(2),
        (outW - 2 * inner.x).toFixed(2),
        (outH - 2 * inner.y).toFixed(2),
        ...carried.map((name) => cells[col(name)] ?? ''),
        image,
        found.iou.toFixed(3),
      ].join('\t'),
    );
    counts.written++;
  }
} finally {
  await engine.close();
}

writeFileSync(join(outDir, 'labels.tsv'), `${rows.join('\n')}\n`);
const sha = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
writeFileSync(
  join(outDir, 'manifest.json'),
  `${JSON.stringify(
    {
      generator: GENERATOR,
      version: VERSION,
      source: { folder: dataDir, name: sourceName, labelsSha256: sha(join(dataDir, 'labels.tsv')) },
      detector: { file: 'plate-detector.onnx', sha256: detectorManifest.sha256 ?? null },
      split: `held-out frames of ${sourceName} (scripts/lib/heldout.mjs) are not written: train this folder with --val ${basename(outDir)}=0`,
      context,
      minIou: MIN_IOU,
      count: counts.written,
      counts,
    },
    null,
    2,
  )}\n`,
);
console.log(
  `detector-crops: ${counts.written} crops of ${counts.rows} rows (${counts.heldOut} held out, not written; skipped ${JSON.stringify(counts.skipped)}) → ${outDir}`,
);
