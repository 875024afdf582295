#!/usr/bin/env node
// Where platenet loses the plates of one labelled set's held-out split, stage by stage: the
// detector, the corners (the quad and its rectification), the reader, the grammar, the
// confidence floor, or the choice between candidates (scripts/lib/diagnose-stage.mjs names the
// stage). The second engine (ppocr) is the second opinion: its box is the reference the reader is
// tried on when the labels give no box, and its read says whether a label may be wrong.
//
//   nice -n 19 node scripts/diagnose-reads.mjs --set cn-hyperlpr-tollgate --out /work/data/diag
//       [--datasets DIR] [--models-dir DIR] [--plate-crops | --frames] [--limit N]
//       [--no-ppocr] [--save-inputs] [--probe-red]
//   node scripts/diagnose-reads.mjs --out /work/data/diag --table    # the table of every set in DIR
//
// Per image it runs what `smartgate recognize --engine platenet` runs (its final verdict is the
// product's own readPlates / readPlateCrop), then again stage by stage from the built code in dist/:
// the detector's quads (frames), the reader's raw rows on each quad with per-character
// probabilities and runners-up, the grammar's verdict after the runner-up search, and the reader
// on the reference box (the label's `x y w h`, else the box of ppocr's read that equals the label,
// else of ppocr's top read when it is close). Crop sets (cn-easypr-crops, vn-car-plates, ...) are
// read whole, as `recognize --plate-crops` does: no detector stage.
//
// Probes read the same plate otherwise, to tell causes apart (named in each row's detail when they
// read it right, counted in the summary with how many right reads each would lose): `margin_*` the
// engine's quad pushed out (frames: 6 and 12 % of its width and height per side) or the crop padded
// with its edge pixels (crops: 4 and 8 %), on frames `shift_*` the engine's quad moved 3 % of its size left,
// right, up or down, `inverted` the image inverted (dark text on a light plate shown light on
// dark), and with --probe-red the detector on the frame with its saturated red marks painted over
// (cn-hyperlpr-tollgate's frames carry a red box and bar).
//
// Writes one JSON line per held-out image to DIR/<set>.jsonl (the images stay where they are;
// DIR must be outside the repository), and with --save-inputs, for each image not read right,
// the reader's input (160x64 luma, shown 2x) from the engine's quad and from the reference box,
// and for frames the frame with the quads (green) and the reference box (blue) drawn, into
// DIR/inputs/<set>/. Prints the counts per stage and what the misreads have in common.
//
// Only the held-out split (scripts/lib/heldout.mjs) is read: the rest is what training uses.
// Both engines run at one thread, as the daemon's do; run it under `nice` on a shared machine.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isHeldOut } from './lib/heldout.mjs';
import { normalisePlate } from './lib/misses.mjs';
import { classifyStage, readerFaults, STAGES, stageTable, topCounts } from './lib/diagnose-stage.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Sets read as plate crops unless told otherwise; any other folder is read as frames.
const CROP_SETS = new Set(['cn-ccpd-crops', 'cn-easypr-crops', 'vn-car-plates', 'vn-crops-silver']);
const COUNTRIES = ['VN', 'CN'];
const MIN_CONFIDENCE = 0.6; // recognize's default --min-confidence
/** The frames' moved quads: 3 % of the quad's width or height each way. */
const QUAD_SHIFTS = [
  ['shift_left', -0.03, 0],
  ['shift_right', 0.03, 0],
  ['shift_up', 0, -0.03],
  ['shift_down', 0, 0.03],
];

// Real provinces the shipped reader learnt from (its manifest's CCPD province-swap donors); every
// province is in the synthetic crops.
const TRAINED_REAL_PROVINCES = '皖苏浙豫川粤京鲁沪湘';

let values;
try {
  ({ values } = parseArgs({
    options: {
      set: { type: 'string' },
      out: { type: 'string' },
      datasets: { type: 'string', default: resolve(root, '../shared/datasets') },
      'models-dir': { type: 'string' },
      'plate-crops': { type: 'boolean', default: false },
      frames: { type: 'boolean', default: false },
      limit: { type: 'string' },
      'no-ppocr': { type: 'boolean', default: false },
      'save-inputs': { type: 'boolean', default: false },
      'probe-red': { type: 'boolean', default: false },
      table: { type: 'boolean', default: false },
    },
  }));
} catch (err) {
  fail(err.message);
}
if (!values.out) fail('--out: required (a folder outside the repository, e.g. /work/data/diag)');
const outDir = resolve(values.out);
if (!relative(root, outDir).startsWith('..'))
  fail(`--out: ${outDir} is inside the repository; the rows describe ../shared images and stay outside it`);
if (values.table) {
  printTable(loadRows(outDir));
  process.exit(0);
}
if (!values.set) fail('--set: required (a folder of --datasets with a labels.tsv), or --table');
if (values['plate-crops'] && values.frames) fail('--plate-crops and --frames: pick one');
const limit = values.limit === undefined ? null : Number(values.limit);
if (limit !== null && !(Number.isInteger(limit) && limit > 0)) fail('--limit: expected a positive integer');
const setDir = resolve(values.datasets, values.set);
const setName = basename(setDir);
const labelsPath = join(setDir, 'labels.tsv');
if (!existsSync(labelsPath)) fail(`--set: no labels at ${labelsPath}`);
const crops = values['plate-crops'] || (!values.frames && CROP_SETS.has(setName));
for (const built of ['dist/vision/engines.js', 'dist/cli/recognize.js'])
  if (!existsSync(join(root, built))) fail(`${built} is missing: run npm run build first`);

const dist = (p) => import(join(root, 'dist', p));
const [
  { createEngine },
  { decodeImage },
  { readPlates, readPlateCrop, overlapFraction },
  { parsePlate },
  { resolveWithAlternatives },
  { estimatePlateColour },
  { toRawPlateText },
  { expandQuad, boxCorners, rectifyLuma },
  { toRegion },
  { DEFAULT_MIN_CHAR_CONFIDENCE },
] = await Promise.all([
  dist('vision/engines.js'),
  dist('cli/recognize.js'),
  dist('lane/reading/plate-reading.js'),
  dist('plates/parse.js'),
  dist('plates/alternatives.js'),
  dist('plates/plate-colour.js'),
  dist('vision/ctc.js'),
  dist('vision/platenet/rectify.js'),
  dist('vision/platenet/plate-region.js'),
  dist('vision/engine-names.js'),
]);
const sharp = (await import('sharp')).default;

const { header, rows } = readTsv(labelsPath);
const col = (name) => header.indexOf(name);
if (col('image') < 0 || col('plate') < 0) fail(`${labelsPath}: needs image and plate columns`);
const heldOut = rows.filter((r) => isHeldOut(setName, r[col('image')]));
const chosen = limit ? heldOut.slice(0, limit) : heldOut;
console.log(
  `${setName}: ${rows.length} labelled, ${heldOut.length} held out, reading ${chosen.length} as ${crops ? 'plate crops' : 'frames'}`,
);

const modelsDir = values['models-dir'] ? { modelsDir: resolve(values['models-dir']) } : {};
const platenet = await createEngine('platenet', { ...modelsDir, threads: 1 });
const ppocr = values['no-ppocr'] ? null : await createEngine('ppocr', { threads: 1 });
const opts = {
  countries: COUNTRIES,
  minConfidence: MIN_CONFIDENCE,
  minCharConfidence: DEFAULT_MIN_CHAR_CONFIDENCE.platenet,
  withCrops: false,
};
const ppOpts = { ...opts, minCharConfidence: DEFAULT_MIN_CHAR_CONFIDENCE.ppocr };
const inputsDir = join(outDir, 'inputs', setName);
// A rerun's inputs replace the last run's: an image's stage, and so its file names, may change.
if (values['save-inputs']) rmSync(inputsDir, { recursive: true, force: true });
mkdirSync(values['save-inputs'] ? inputsDir : outDir, { recursive: true });

const results = [];
for (const [n, r] of chosen.entries()) {
  const row = await diagnose(r);
  results.push(row);
  if ((n + 1) % 25 === 0) console.log(`  ${n + 1} / ${chosen.length}`);
}
await platenet.close();
await ppocr?.close();
const jsonl = join(outDir, `${setName}.jsonl`);
writeFileSync(jsonl, results.map((x) => JSON.stringify(x)).join('\n') + '\n');
printTable(results);
console.log(`\nwritten: ${jsonl}${values['save-inputs'] ? `, ${inputsDir}/` : ''}`);

// ---------------------------------------------------------------------------------------------

async function diagnose(r) {
  const imageCol = r[col('image')];
  const label = normalisePlate(r[col('plate')]);
  const image = await decodeImage(join(setDir, imageCol));
  const whole = { x: 0, y: 0, w: image.width, h: image.height };
  const started = performance.now();
  const final = crops ? await readPlateCrop(platenet, image, opts) : await readPlates(platenet, image, undefined, opts);
  const ms = performance.now() - started;
  const top = topOf(final.plates);

  // Stage by stage: the detector's quads, then the reader on each, then the grammar.
  const dets = await platenet.detect(image);
  const quads = dets.map((d) => ({
    quad: expandQuad(d.corners),
    corners: d.corners,
    box: toRegion(d, 0.5, image).box,
  }));
  if (crops) quads.unshift({ quad: boxCorners(whole), corners: boxCorners(whole), box: whole });
  const decoded = await platenet.readQuads(
    image,
    quads.map((q) => q.quad),
  );
  const cands = quads.map((q, i) => candidate(image, q, decoded[i], crops ? whole : q.box));

  // The reference box: the label's, else the second engine's read of this plate.
  const second = ppocr
    ? crops
      ? await readPlateCrop(ppocr, image, ppOpts)
      : await readPlates(ppocr, image, undefined, ppOpts)
    : null;
  const ppTop = second ? topOf(second.plates) : null;
  const ref = crops ? null : referenceBox(r, label, second);

  // The candidate on the plate: the whole crop, or the quad on the reference box, or the read
  // closest to the label when there is no reference.
  let target = null;
  if (crops) target = cands[0];
  else if (ref) {
    const on = cands
      .map((c) => ({ c, iou: iou(c.box, ref.box), over: overlapFraction(c.box, ref.box) }))
      .filter((x) => x.over > 0.3)
      .sort((a, b) => b.iou - a.iou);
    target = on[0]?.c ?? null;
  } else {
    const near = cands
      .map((c) => ({ c, acc: charAccuracy(c.raw, label) }))
      .filter((x) => x.acc >= 0.5)
      .sort((a, b) => b.acc - a.acc);
    target = near[0]?.c ?? null;
  }
  const refQuads = ref ? [boxCorners(ref.box), boxCorners(pad(ref.box, image, 0.05, 0.15))] : [];
  const refDecoded = refQuads.length ? await platenet.readQuads(image, refQuads) : [];
  const refReads = refDecoded.map((rows) => rows.map((row) => row.map((c) => c.char).join('')).join(''));

  const probes = target ? await probe(image, target, label) : {};
  const { stage, detail } = classifyStage({
    label,
    final: top ? top.plate.text : null,
    crop: crops,
    detections: dets.length,
    plateRef: Boolean(ref),
    target: target && {
      raw: target.raw,
      resolved: target.resolved,
      valid: target.valid,
      confident: target.confident,
      reason: target.reason,
    },
    rightElsewhere: cands.some((c) => c !== target && c.valid && c.confident && c.resolved === label),
    refReads,
    probes: Object.fromEntries(Object.entries(probes).map(([name, p]) => [name, p.right])),
  });
  if (values['probe-red'] && ref) probes.red_removed = await probeRed(image, ref, label);
  const labelRows = rowsOfLabel(r);
  const faults = target && stage !== 'ok' ? readerFaults({ label, rawRows: target.rows, labelRows }) : null;
  const labelParse = parsePlate([label], { countries: COUNTRIES });
  const ppText = ppTop?.plate.text ?? null;
  const row = {
    set: setName,
    image: imageCol,
    label,
    label_rows: labelRows,
    colour_label: col('colour_estimate') >= 0 ? r[col('colour_estimate')] : null,
    label_grammar: labelParse.valid ? `${labelParse.country} ${labelParse.kind}` : `rejected: ${labelParse.reason}`,
    province: /[\u3400-\u9fff]/.test(label[0] ?? '')
      ? { char: label[0], in_real_training: TRAINED_REAL_PROVINCES.includes(label[0]) }
      : null,
    size: [image.width, image.height],
    stage,
    detail,
    final: top
      ? {
          text: top.plate.text,
          kind: top.plate.kind,
          confidence: round(top.confidence),
          weakest: round(top.weakestChar),
        }
      : null,
    final_rejected: final.rejected.map((x) => ({ raw: x.plate.raw, reason: x.plate.reason })),
    ms: round(ms, 1),
    detections: dets.map((d, i) => ({
      score: round(d.score),
      two_rows: round(d.twoRows),
      corners: d.corners.map(([x, y]) => [round(x, 1), round(y, 1)]),
      tilt_deg: round(tiltOf(d.corners), 1),
      width_px: round(Math.hypot(d.corners[1][0] - d.corners[0][0], d.corners[1][1] - d.corners[0][1]), 1),
      iou_ref: ref ? round(iou(quads[crops ? i + 1 : i].box, ref.box)) : null,
      // The quad's bounding box against the reference box's size: below 1, the quad cuts the plate.
      size_vs_ref: ref
        ? [round(quads[crops ? i + 1 : i].box.w / ref.box.w, 2), round(quads[crops ? i + 1 : i].box.h / ref.box.h, 2)]
        : null,
      read: cands[crops ? i + 1 : i].summary,
    })),
    target: target ? { ...target.summary, chars: target.chars, colour: target.colour } : null,
    faults,
    ref: ref ? { source: ref.source, box: ref.box, reads: refReads } : null,
    probes,
    ppocr: second
      ? {
          text: ppText,
          layout: ppTop?.plate.layout ?? null,
          confidence: ppTop ? round(ppTop.confidence) : null,
          right: ppText === label,
          rejected: second.rejected.map((x) => x.plate.raw),
        }
      : null,
    // Both engines agree on a valid plate that is not the label: the label may be wrong.
    label_suspect: Boolean(top && ppText && top.plate.text === ppText && ppText !== label),
  };
  if (values['save-inputs'] && stage !== 'ok')
    await saveInputs(image, row, target?.quad ?? null, refQuads[0] ?? null, quads, ref);
  return row;
}

/**
 * What the reader makes of the same plate read otherwise, to tell causes apart: the quad pushed
 * further out (corners that cut the plate; a crop cut tight), on frames the engine's quad moved
 * by 3 % of its size each way (a read that hangs on where the corners fell to a pixel or two),
 * and the image inverted (dark text on a light plate shown as light on dark, as the blue plates
 * the reader learnt Chinese from).
 */
async function probe(image, target, label) {
  const margins = crops ? [0.04, 0.08] : [0.06, 0.12];
  const inverted = { ...image, data: Buffer.from(image.data.map((v) => 255 - v)) };
  const [wide, wider] = await platenet.readQuads(
    image,
    margins.map((m) => expandQuad(target.corners, m)),
  );
  const [inv] = await platenet.readQuads(inverted, [target.quad]);
  const entry = (rows) => {
    const raw = normalisePlate(rows.map((r) => r.map((c) => c.char).join('')).join(''));
    const ps = rows.flat().map((c) => c.p);
    return { raw, right: raw === label, weakest: round(ps.length ? Math.min(...ps) : 0) };
  };
  const probes = { [`margin_${margins[0]}`]: entry(wide), [`margin_${margins[1]}`]: entry(wider) };
  if (!crops) {
    const moved = await platenet.readQuads(
      image,
      QUAD_SHIFTS.map(([, dx, dy]) => shiftQuad(target.quad, dx, dy)),
    );
    QUAD_SHIFTS.forEach(([name], i) => (probes[name] = entry(moved[i])));
  }
  return { ...probes, inverted: entry(inv) };
}

/** `quad` (TL TR BR BL) moved by `dx` of its width along its top edge and `dy` of its height along its left edge. */
function shiftQuad(quad, dx, dy) {
  const [tl, tr, , bl] = quad;
  const along = [tr[0] - tl[0], tr[1] - tl[1]];
  const down = [bl[0] - tl[0], bl[1] - tl[1]];
  return quad.map(([x, y]) => [x + dx * along[0] + dy * down[0], y + dx * along[1] + dy * down[1]]);
}

/**
 * The detector on the frame with its pure-red marks painted over (a benchmark's box and bar drawn
 * on each frame): whether it then finds the plate, and what the reader reads there.
 */
async function probeRed(image, ref, label) {
  const clean = withoutRed(image);
  const dets = await platenet.detect(clean);
  const on = dets
    .map((d) => ({ d, box: toRegion(d, 0.5, clean).box }))
    .filter((x) => overlapFraction(x.box, ref.box) > 0.3)
    .sort((a, b) => iou(b.box, ref.box) - iou(a.box, ref.box))[0];
  if (!on) return { found: false, detections: dets.length };
  const [rows] = await platenet.readQuads(clean, [expandQuad(on.d.corners)]);
  const raw = normalisePlate(rows.map((r) => r.map((c) => c.char).join('')).join(''));
  return { found: true, detections: dets.length, raw, right: raw === label, iou_ref: round(iou(on.box, ref.box)) };
}

/** A copy of the image with saturated red pixels replaced by the mean of the nearest other pixels in their row. */
function withoutRed(image) {
  const { width, height } = image;
  const data = Buffer.from(image.data);
  const red = (i) => data[i] > 150 && data[i + 1] < 90 && data[i + 2] < 90 && data[i] - data[i + 1] > 100;
  for (let y = 0; y < height; y++) {
    const marked = [];
    for (let x = 0; x < width; x++) marked.push(red((y * width + x) * 3));
    for (let x = 0; x < width; x++) {
      if (!marked[x]) continue;
      let l = x;
      while (l >= 0 && marked[l]) l--;
      let r = x;
      while (r < width && marked[r]) r++;
      const from = [l, r].filter((v) => v >= 0 && v < width);
      for (let c = 0; c < 3; c++) {
        const sum = from.reduce((s, v) => s + image.data[(y * width + v) * 3 + c], 0);
        data[(y * width + x) * 3 + c] = from.length ? Math.round(sum / from.length) : 128;
      }
    }
  }
  return { width, height, data };
}

/** One candidate: the reader's raw rows, per-character probabilities, the grammar's verdict. */
function candidate(image, q, rows, colourBox) {
  const raw = toRawPlateText(rows);
  const colour = estimatePlateColour(image, colourBox);
  const parse = (texts) => parsePlate(texts, { countries: COUNTRIES, ...(colour ? { color: colour } : {}) });
  const res = resolveWithAlternatives(raw, parse);
  const confident = res.confidence >= opts.minConfidence && res.weakestChar >= opts.minCharConfidence;
  const rawText = normalisePlate(raw.rows.join(''));
  return {
    quad: q.quad,
    corners: q.corners,
    box: q.box,
    rows: raw.rows,
    raw: rawText,
    resolved: res.plate.text,
    valid: res.plate.valid,
    confident,
    reason: res.plate.valid ? (confident ? undefined : 'low confidence or a weak character') : res.plate.reason,
    colour: colour ?? null,
    chars: rows.map((row) =>
      row.map((c) => ({
        c: c.char,
        p: round(c.p),
        alt: c.alternatives.slice(1, 3).map((a) => `${a.char}:${round(a.p)}`),
      })),
    ),
    summary: {
      rows: raw.rows.join('|'),
      grammar: res.plate.valid ? res.plate.text : `rejected (${res.plate.reason})`,
      substitutions: res.substitutions,
      confidence: round(res.confidence),
      weakest: round(res.weakestChar),
      confident,
    },
  };
}

/** The label's box, else the box of the second engine's read that equals the label, else of its close top read. */
function referenceBox(r, label, second) {
  const [x, y, w, h] = ['x', 'y', 'w', 'h'].map((k) => (col(k) >= 0 ? Number(r[col(k)]) : NaN));
  if ([x, y, w, h].every(Number.isFinite)) return { source: 'label', box: { x, y, w, h } };
  if (!second) return null;
  const reads = [...second.plates, ...second.rejected];
  // Of several reads of the label (a row alone, and with the line above it), the tightest box.
  const exact = reads.filter((p) => p.plate.text === label).sort((a, b) => a.box.w * a.box.h - b.box.w * b.box.h)[0];
  if (exact) return { source: 'ppocr (reads the label)', box: exact.box };
  const close = reads
    .map((p) => ({ p, acc: charAccuracy(p.plate.text, label) }))
    .filter((x) => x.acc >= 0.6)
    .sort((a, b) => b.acc - a.acc)[0];
  return close ? { source: `ppocr (reads ${close.p.plate.text})`, box: close.p.box } : null;
}

async function saveInputs(image, row, quad, refQuad, quads, ref) {
  const stem = `${basename(row.image).replace(/\.\w+$/, '')}.${row.stage}`;
  const W = 160;
  const H = 64;
  const png = async (q, name) => {
    const buf = new Float32Array(W * H);
    if (!rectifyLuma(image, q, W, H, buf)) return;
    const bytes = Buffer.from(Array.from(buf, (v) => Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)))));
    await sharp(bytes, { raw: { width: W, height: H, channels: 1 } })
      .resize(W * 2, H * 2, { kernel: 'nearest' })
      .png()
      .toFile(join(inputsDir, `${stem}.${name}.png`));
  };
  if (quad) await png(quad, 'own');
  if (refQuad) await png(refQuad, 'ref');
  if (!crops) {
    const path = (q, colour) =>
      `<polygon points="${q.map(([x, y]) => `${x},${y}`).join(' ')}" fill="none" stroke="${colour}" stroke-width="2"/>`;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" height="${image.height}">${quads
      .map((q) => path(q.quad, 'lime'))
      .join('')}${ref ? path(boxCorners(ref.box), 'deepskyblue') : ''}</svg>`;
    await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
      .composite([{ input: Buffer.from(svg) }])
      .png()
      .toFile(join(inputsDir, `${stem}.frame.png`));
  }
}

function printTable(all) {
  if (all.length === 0) return console.log('no diagnosis rows');
  console.log(`\n${stageTable(all)}`);
  for (const set of [...new Set(all.map((r) => r.set))]) {
    const mine = all.filter((r) => r.set === set);
    console.log(`\n${set}:`);
    const by = (key, keyName) => {
      const groups = [...new Set(mine.map(key))].filter((g) => g !== null && g !== undefined);
      if (groups.length < 2) return;
      for (const g of groups) {
        const rs = mine.filter((r) => key(r) === g);
        const counts = STAGES.map((s) => [s, rs.filter((r) => r.stage === s).length]).filter(([, c]) => c > 0);
        console.log(`  ${keyName} ${g} (${rs.length}): ${counts.map(([s, c]) => `${s} ${c}`).join(', ')}`);
      }
    };
    by((r) => r.colour_label, 'colour');
    by((r) => r.label_rows, 'rows');
    by((r) => (r.province ? (r.province.in_real_training ? 'trained' : 'unseen') : null), 'province (real)');
    const list = (title, items, n = 10) => {
      const top = topCounts(items, n);
      if (top.length) console.log(`  ${title}: ${top.map(([v, c]) => `${v} ${c}`).join(', ')}`);
    };
    const failed = mine.filter((r) => r.stage !== 'ok');
    // A wrong read costs a gate more than no read: which stages gave one.
    list(
      'wrong reads (a plate that is not the label) by stage',
      failed.filter((r) => r.final).map((r) => r.stage),
    );
    list(
      'details',
      failed.map((r) => `${r.stage}: ${r.detail.split(';')[0]}`),
      12,
    );
    for (const stage of STAGES.slice(1)) {
      const rs = failed.filter((r) => r.stage === stage);
      const names = rs.flatMap((r) =>
        Object.entries(r.probes ?? {})
          .filter(([, p]) => p.right)
          .map(([n]) => n),
      );
      if (rs.length) list(`${stage} (${rs.length}) read right by probe`, names);
    }
    const misread = failed.filter((r) => r.stage === 'reader' || r.stage === 'corners');
    list(
      'misread tags',
      misread.flatMap((r) => r.faults?.tags ?? []),
    );
    list(
      'substitutions (label→read)',
      misread.flatMap((r) => (r.faults?.subs ?? []).map(([a, b]) => `${a}→${b}`)),
      15,
    );
    list(
      'label grammar',
      mine.map((r) => r.label_grammar),
    );
    const probeNames = [...new Set(mine.flatMap((r) => Object.keys(r.probes ?? {})))];
    for (const name of probeNames) {
      const withProbe = mine.filter((r) => r.probes?.[name]);
      const right = (r) => r.probes[name].right;
      const fixes = withProbe.filter((r) => r.stage !== 'ok' && right(r)).length;
      const breaks = withProbe.filter((r) => r.stage === 'ok' && r.probes[name].raw !== undefined && !right(r)).length;
      console.log(
        `  probe ${name}: reads right ${withProbe.filter(right).length} of ${withProbe.length}; of those not read right, ${fixes} of ${withProbe.filter((r) => r.stage !== 'ok').length}; of those read right, loses ${breaks}`,
      );
    }
    const suspects = mine.filter((r) => r.label_suspect);
    if (suspects.length)
      console.log(
        `  label suspects (both engines read the same other plate): ${suspects.map((r) => `${basename(r.image)} ${r.label}→${r.final.text}`).join(', ')}`,
      );
    const pp = mine.filter((r) => r.ppocr);
    if (pp.length) console.log(`  ppocr right: ${pp.filter((r) => r.ppocr.right).length} of ${pp.length}`);
  }
}

function loadRows(dir) {
  if (!existsSync(dir)) fail(`--out: ${dir} does not exist`);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    );
}

/** The label's row count when the labels say it (`layout` 1row/2row, `lines`/`rows`, a two-part `display`). */
function rowsOfLabel(r) {
  const layout = col('layout') >= 0 ? r[col('layout')] : '';
  if (/^[12]row$/.test(layout)) return Number(layout[0]);
  for (const k of ['lines', 'rows']) if (col(k) >= 0 && /^[12]$/.test(r[col(k)])) return Number(r[col(k)]);
  if (col('display') >= 0 && r[col('display')]) return r[col('display')].trim().split(/\s+/).length >= 2 ? 2 : 1;
  return null;
}

function topOf(plates) {
  return plates.reduce((best, p) => (best === null || p.confidence > best.confidence ? p : best), null);
}

function iou(a, b) {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  return inter / Math.max(1, a.w * a.h + b.w * b.h - inter);
}

/** The box pushed out by `fx` of its width and `fy` of its height per side, inside the image. */
function pad(box, image, fx, fy) {
  const x = Math.max(0, box.x - box.w * fx);
  const y = Math.max(0, box.y - box.h * fy);
  return {
    x,
    y,
    w: Math.min(image.width, box.x + box.w * (1 + fx)) - x,
    h: Math.min(image.height, box.y + box.h * (1 + fy)) - y,
  };
}

/** The angle of the quad's top edge, degrees (positive: its right end lower). */
function tiltOf([tl, tr]) {
  return (Math.atan2(tr[1] - tl[1], tr[0] - tl[0]) * 180) / Math.PI;
}

/** 1 - levenshtein / longer length, as the shared scorer's character accuracy. */
function charAccuracy(a, b) {
  const x = [...normalisePlate(a)];
  const y = [...normalisePlate(b)];
  const n = Math.max(x.length, y.length);
  if (n === 0) return 1;
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return 1 - prev[y.length] / n;
}

function readTsv(path) {
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  return { header: lines[0].split('\t'), rows: lines.slice(1).map((l) => l.split('\t')) };
}

function round(v, digits = 3) {
  return Number(Number(v).toFixed(digits));
}

function fail(message) {
  console.error(`diagnose-reads: ${message}`);
  process.exit(2);
}
