#!/usr/bin/env node
// What a floor on the weakest character's probability (recognition.minCharConfidence) would do
// to an engine's figures: for each floor, the reads whose least certain character is below it
// become no-reads, and the shared scorer scores what is left, on the same splits as eval.
//
//   npm run eval -- --engine platenet --min-char-confidence 0     # records every read
//   node scripts/sweep-char-floor.mjs [--engine platenet] [--floors 0,0.3,0.5,0.7] [--eval-dir DIR]
//       [--bins 0.5,0.7,0.9,0.97,0.99]   (the reliability table's bin edges)
//
// It reads what that eval run left in .cache/eval (summary.json, <set>.<engine>.jsonl and the
// split's labels) and reads no image itself. A floor drops a crop's best read; the engine itself
// would then try the crop's other candidates, so a real run at the chosen floor (eval with the
// new default) can only read as many plates or more. Prints one Markdown table per set, then how
// often a read is right at each level of its weakest character (is that probability calibrated?).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { reliabilityBins } from './lib/reliability.mjs';
import { runProcess } from './lib/run-process.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

let values;
try {
  ({ values } = parseArgs({
    options: {
      engine: { type: 'string', default: 'platenet' },
      floors: { type: 'string', default: '0,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9' },
      scorer: { type: 'string', default: resolve(root, '../shared/tools/score-plates.mjs') },
      'eval-dir': { type: 'string', default: join(root, '.cache/eval') },
      bins: { type: 'string', default: '0.5,0.7,0.9,0.97,0.99' },
    },
  }));
} catch (err) {
  fail(err.message);
}
// Where that eval run wrote (its --out).
const evalDir = resolve(values['eval-dir']);
const floors = values.floors.split(',').map(Number);
if (!floors.length || floors.some((f) => !(f >= 0 && f <= 1)))
  fail('--floors: expected numbers from 0 to 1, comma-separated');
const edges = values.bins.split(',').map(Number);
if (!edges.length || edges.some((e, i) => !(e > 0 && e < 1) || (i && e <= edges[i - 1])))
  fail('--bins: expected rising numbers between 0 and 1, comma-separated (the edges between the bins)');
if (!existsSync(values.scorer)) fail(`scorer not found at ${values.scorer} (pass --scorer FILE)`);
const summaryPath = join(evalDir, 'summary.json');
if (!existsSync(summaryPath))
  fail(`${summaryPath} missing: run npm run eval -- --engine ${values.engine} --min-char-confidence 0 first`);
const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
// A floor can only be swept over reads that no floor removed already.
const floorRead = summary.engines?.[values.engine]?.minCharConfidence;
const rerun = `npm run eval -- --engine ${values.engine} --min-char-confidence 0`;
if (!summary.engines?.[values.engine]) fail(`the last eval did not read ${values.engine}; run ${rerun}`);
if (floorRead !== 0)
  fail(
    `the last eval read ${values.engine} with a floor of ${JSON.stringify(floorRead ?? summary.minCharConfidence)} on the weakest character; run ${rerun}`,
  );

const work = mkdtempSync(join(tmpdir(), 'sweep-char-floor-'));
try {
  console.log(
    `# Floor on the weakest character: ${values.engine}, eval of ${summary.date.slice(0, 16).replace('T', ' ')} UTC (commit ${String(summary.commit).slice(0, 10)})\n`,
  );
  // Each set's split and predictions, found and read once for both kinds of table.
  const sets = summary.sets.map((set) => {
    const scope = existsSync(join(evalDir, `${set.name}.heldout.tsv`)) ? 'heldout' : 'all';
    const predictions = join(evalDir, `${set.name}.${values.engine}.jsonl`);
    return {
      name: set.name,
      scope: scope === 'heldout' ? 'held out' : 'all, test-only',
      labels: join(evalDir, `${set.name}.${scope}.tsv`),
      predictions,
      lines: existsSync(predictions) ? readLines(predictions) : undefined,
    };
  });
  for (const set of sets) await table(set);
  if (summary.synthetic) await syntheticTable(summary.synthetic.kinds);
  reliabilityTable(sets.filter((set) => set.lines));
} finally {
  rmSync(work, { recursive: true, force: true });
}

async function table({ name, scope, labels, predictions, lines }) {
  if (!lines) return console.log(`${name}: no ${values.engine} predictions (${predictions}); skipped\n`);
  console.log(`## ${name} (${scope})\n\n| floor | exact | wrong | no read |\n| --- | --- | --- | --- |`);
  for (const floor of floors) {
    const r = await scoreAt(floor, labels, lines);
    console.log(`| ${floor} | ${r.exact.toFixed(3)} | ${r.wrong_read.toFixed(3)} | ${r.no_read.toFixed(3)} |`);
  }
  console.log('');
}

/** The synthetic kinds pooled, each kind weighing the same (as eval pools them). */
async function syntheticTable(kinds) {
  console.log(
    '## synthetic, all kinds pooled (drawn by the training generator: synthetic figures)\n\n| floor | exact | wrong | no read |\n| --- | --- | --- | --- |',
  );
  const present = kinds.filter((k) => existsSync(join(evalDir, `synth.${k}.${values.engine}.jsonl`)));
  const byKind = present.map((k) => ({
    labels: join(evalDir, `synth.${k}.tsv`),
    lines: readLines(join(evalDir, `synth.${k}.${values.engine}.jsonl`)),
  }));
  for (const floor of floors) {
    const rs = await Promise.all(byKind.map((k) => scoreAt(floor, k.labels, k.lines)));
    const mean = (key) => rs.reduce((s, r) => s + r[key], 0) / Math.max(1, rs.length);
    console.log(
      `| ${floor} | ${mean('exact').toFixed(3)} | ${mean('wrong_read').toFixed(3)} | ${mean('no_read').toFixed(3)} |`,
    );
  }
  console.log('');
}

/** How often a read is right, by its weakest character (scripts/lib/reliability.mjs): one column per set. */
function reliabilityTable(sets) {
  const columns = sets.map((set) => reliabilityBins(readLabels(set.labels), set.lines, edges));
  console.log(
    '## Reliability: right reads / reads, by the weakest character\n\n' +
      `| weakest character | ${sets.map((s) => s.name).join(' | ')} |\n| --- |${sets.map(() => ' --- |').join('')}`,
  );
  columns[0]?.forEach(({ low, high }, i) => {
    const cells = columns.map((bins) => {
      const { reads, right } = bins[i];
      return reads ? `${right} / ${reads} (${(right / reads).toFixed(2)})` : '–';
    });
    console.log(`| ${high === 1 ? `≥ ${low}` : `${low}–${high}`} | ${cells.join(' | ')} |`);
  });
  console.log('');
}

/** A split's labels file as rows of image (resolved against the file's folder) and plate. */
function readLabels(path) {
  const [head, ...rows] = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  const columns = head.split('\t');
  const image = columns.indexOf('image');
  const plate = columns.indexOf('plate');
  if (image < 0 || plate < 0) fail(`${path}: expected image and plate columns`);
  return rows.map((r) => r.split('\t')).map((c) => ({ image: resolve(dirname(path), c[image]), plate: c[plate] }));
}

/** The scorer's figures once the reads below `floor` are taken out. */
async function scoreAt(floor, labels, lines) {
  const kept = lines.map((p) => ({ ...p, plates: (p.plates ?? []).filter((plate) => !(plate.weakest_char < floor)) }));
  const file = join(work, `p${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(file, kept.map((p) => JSON.stringify(p)).join('\n') + '\n');
  const r = await runProcess(process.execPath, [values.scorer, labels, file, '--json']);
  if (r.code !== 0) fail(`the scorer failed on ${labels}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

function readLines(path) {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  if (lines.some((p) => (p.plates ?? []).some((plate) => typeof plate.weakest_char !== 'number'))) {
    fail(`${path} has reads without weakest_char: it was written before recognize reported it; rerun eval`);
  }
  return lines;
}

function fail(message) {
  console.error(`sweep-char-floor: ${message}`);
  process.exit(2);
}
