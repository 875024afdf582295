#!/usr/bin/env node
// Plate boxes for frames whose labels have none, from a second engine that reads the label
// (docs/training.md "Boxes from a teacher").
//
//   node scripts/train/teacher-boxes.mjs --data ../shared/datasets/cn-hyperlpr-tollgate \
//       --out /work/data/tollgate-boxes [--engine ppocr] [--expand 0.06,0.12]
//
// cn-hyperlpr-tollgate's labels give the plate text of each frame but no box, so neither the
// detector nor the reader can learn its plates. Here the teacher engine (ppocr, the general
// engine the issue allows as a teacher) reads each training frame; where one of its reads equals
// the label exactly, that read's box becomes the frame's plate box. Frames it misreads or misses
// are skipped and counted: a box is only as good as the read that found it.
//
// ppocr's box is the text line's, a little inside the plate: on these frames it often starts in
// the province character and leaves out the plate's border. `--expand X,Y` pushes it out by X of
// its width on the left and the right and Y of its height at the top and the bottom (default
// 0.06,0.12, measured by eye on a dozen frames) so it stands for the plate, as GreenParking's
// label boxes do. (HyperLPR3's corner detector was tried as the teacher of the box and put its
// corners inside the characters on these frames, so it is not used.)
//
// The output folder holds a labels.tsv whose `image` column points back at the source frame (a
// relative path: nothing is copied), with `x y w h` from the teacher and every other column of
// the source row, so detector.py (--frames) and reader.py (--data) read it like GreenParking.
// Held-out frames (scripts/lib/heldout.mjs under the source folder's name) are never written:
// train it with `--val <out folder name>=0`.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isHeldOut } from '../lib/heldout.mjs';
import { normalisePlate } from '../lib/misses.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const GENERATOR = 'scripts/train/teacher-boxes.mjs';
const VERSION = '1.0.0';

function usage(message) {
  if (message) console.error(`teacher-boxes: ${message}`);
  console.error('usage: node scripts/train/teacher-boxes.mjs --data FOLDER --out DIR [--engine ppocr]');
  process.exit(message ? 2 : 0);
}

let opts;
try {
  opts = parseArgs({
    options: {
      data: { type: 'string' },
      out: { type: 'string' },
      engine: { type: 'string', default: 'ppocr' },
      expand: { type: 'string', default: '0.06,0.12' },
      help: { type: 'boolean' },
    },
  }).values;
} catch (err) {
  usage(err.message);
}
if (opts.help) usage();
if (!opts.data) usage('--data is required: a labels.tsv folder of frames');
if (!opts.out) usage('--out is required: the folder to write');
const dataDir = resolve(opts.data);
const outDir = resolve(opts.out);
if (!relative(root, outDir).startsWith('..'))
  usage(`--out: ${outDir} is inside the repository; training folders stay outside it`);
const [expandX, expandY] = (opts.expand ?? '').split(',').map(Number);
if (![expandX, expandY].every((v) => Number.isFinite(v) && v >= 0 && v <= 0.5))
  usage(`--expand ${opts.expand}: expected X,Y, each a share of the box between 0 and 0.5`);
const labelsPath = join(dataDir, 'labels.tsv');
if (!existsSync(labelsPath)) usage(`--data: no labels.tsv in ${dataDir}`);
for (const built of ['dist/vision/engines.js', 'dist/cli/recognize.js'])
  if (!existsSync(join(root, built))) usage(`${built} is missing: run npm run build first`);

const dist = (p) => import(join(root, 'dist', p));
const [{ createEngine }, { decodeImage }, { readPlates }] = await Promise.all([
  dist('vision/engines.js'),
  dist('cli/recognize.js'),
  dist('lane/reading/plate-reading.js'),
]);

const lines = readFileSync(labelsPath, 'utf8').split(/\r?\n/).filter(Boolean);
const header = lines[0].split('\t');
const col = (name) => header.indexOf(name);
if (col('image') < 0 || col('plate') < 0) usage(`${labelsPath}: needs image and plate columns`);
if (['x', 'y', 'w', 'h'].some((c) => col(c) >= 0)) usage(`${labelsPath}: already has plate boxes; train it directly`);
// The image column is replaced by a path relative to the output folder, so it must come first.
if (col('image') !== 0) usage(`${labelsPath}: expected image as the first column`);
const setName = basename(dataDir);

const engine = await createEngine(opts.engine, { threads: 2 });

const readOpts = {
  countries: ['VN', 'CN'],
  minConfidence: 0,
  minCharConfidence: 0,
  withCrops: false,
};
const out = [[...header, 'x', 'y', 'w', 'h', 'teacher_confidence'].join('\t')];
const skipped = { 'held out': 0, 'no read equals the label': 0, 'image unreadable': 0 };
let written = 0;
for (const [n, line] of lines.slice(1).entries()) {
  const cells = line.split('\t');
  const image = cells[col('image')];
  if (isHeldOut(setName, image)) {
    skipped['held out'] += 1;
    continue;
  }
  const label = normalisePlate(cells[col('plate')]);
  let frame;
  try {
    frame = await decodeImage(join(dataDir, image));
  } catch {
    skipped['image unreadable'] += 1;
    continue;
  }
  const result = await readPlates(engine, frame, undefined, readOpts);
  const match = [...result.plates, ...result.rejected].find((p) => normalisePlate(p.plate.text) === label);
  if (!match) {
    skipped['no read equals the label'] += 1;
    continue;
  }
  const { x, y, w, h } = expandBox(match.box, expandX, expandY, frame);
  const rel = relative(outDir, join(dataDir, image));
  const r1 = (v) => Math.round(v * 10) / 10;
  out.push([rel, ...cells.slice(1), r1(x), r1(y), r1(w), r1(h), match.confidence.toFixed(3)].join('\t'));
  written += 1;
  if ((n + 1) % 25 === 0) console.log(`  ${n + 1} / ${lines.length - 1}`);
}
await engine.close();

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'labels.tsv'), `${out.join('\n')}\n`);
const manifest = {
  generator: GENERATOR,
  version: VERSION,
  source: dataDir,
  sourceLabelsSha256: createHash('sha256').update(readFileSync(labelsPath)).digest('hex'),
  teacher: opts.engine,
  expand: { x: expandX, y: expandY },
  written,
  skipped,
  note: 'boxes of the teacher engine reads equal to the label; training frames only (held-out frames skipped)',
};
writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`${setName}: ${written} boxes written to ${outDir}; skipped ${JSON.stringify(skipped)}`);

/** The box pushed out by `ex` of its width per side and `ey` of its height, kept in the frame. */
function expandBox(box, ex, ey, frame) {
  const x0 = Math.max(0, box.x - box.w * ex);
  const y0 = Math.max(0, box.y - box.h * ey);
  const x1 = Math.min(frame.width, box.x + box.w * (1 + ex));
  const y1 = Math.min(frame.height, box.y + box.h * (1 + ey));
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}
