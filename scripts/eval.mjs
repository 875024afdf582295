#!/usr/bin/env node
// Evaluates recognition on the labelled sets in ../shared/datasets with the shared scorer.
//
//   npm run eval [-- --datasets DIR] [--set NAME] [--limit N]
//
// For each set: runs `smartgate recognize --jsonl` (with --plate-crops for crop sets) over
// every labelled image, writes the predictions to .cache/eval/<set>.jsonl and prints the
// scorer's figures. Sets that are absent are skipped with a message.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    datasets: { type: 'string', default: resolve(root, '../shared/datasets') },
    scorer: { type: 'string', default: resolve(root, '../shared/tools/score-plates.mjs') },
    set: { type: 'string', multiple: true },
    limit: { type: 'string' },
  },
});

// How each set is read: full frames go through detection, crop sets skip it.
const SETS = [
  { name: 'vn-greenparking', crops: false, countries: 'VN' },
  { name: 'cn-ccpd-crops', crops: true, countries: 'CN' },
  { name: 'vn-crops-silver', crops: true, countries: 'VN', note: 'silver labels from a general OCR engine: not human ground truth' },
  { name: 'openalpr-endtoend', crops: false, countries: 'VN,CN', note: 'US/EU/BR plates: outside the VN/CN grammars, so reads are expected to be rejected' },
];

const cli = join(root, 'dist/cli/main.js');
if (!existsSync(cli)) fail(`${cli} is missing: run npm run build first`);
if (!existsSync(values.datasets)) {
  console.log(`eval: no datasets at ${values.datasets}; skipping (put ../shared/datasets beside the repo, or pass --datasets DIR)`);
  process.exit(0);
}
if (!existsSync(values.scorer)) fail(`eval: scorer not found at ${values.scorer} (pass --scorer FILE)`);

const outDir = join(root, '.cache/eval');
mkdirSync(outDir, { recursive: true });
for (const set of SETS) {
  if (values.set && !values.set.includes(set.name)) continue;
  const labels = join(values.datasets, set.name, 'labels.tsv');
  if (!existsSync(labels)) {
    console.log(`\n## ${set.name}: absent (${labels}); skipped`);
    continue;
  }
  const rows = readFileSync(labels, 'utf8').split('\n').filter(Boolean);
  const header = rows.shift().split('\t');
  let images = rows.map((r) => join(values.datasets, set.name, r.split('\t')[header.indexOf('image')]));
  if (values.limit) images = images.slice(0, Number(values.limit));
  const preds = join(outDir, `${set.name}.jsonl`);
  const list = join(outDir, `${set.name}.list`);
  writeFileSync(list, images.join('\n') + '\n');
  const args = ['recognize', '--jsonl', '--countries', set.countries, ...(set.crops ? ['--plate-crops'] : []), '--from', list];
  const started = Date.now();
  const out = await run(process.execPath, [cli, ...args]);
  writeFileSync(preds, out);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`\n## ${set.name} (${images.length} images, ${set.crops ? 'plate crops' : 'full frames'}, ${seconds} s)${set.note ? `\n# ${set.note}` : ''}`);
  const limitedLabels = values.limit ? writeLimitedLabels(labels, header, rows, Number(values.limit)) : labels;
  process.stdout.write(await run(process.execPath, [values.scorer, limitedLabels, preds]));
}

/** The scorer counts every label; with --limit, score against the same first N labels. */
function writeLimitedLabels(labels, header, rows, n) {
  const path = join(dirname(labels), '.');
  const file = join(outDir, `labels-${Date.now()}.tsv`);
  // Image paths in labels are relative to the labels' folder: make them absolute.
  const col = header.indexOf('image');
  const abs = rows.slice(0, n).map((r) => {
    const c = r.split('\t');
    c[col] = join(path, c[col]);
    return c.join('\t');
  });
  writeFileSync(file, [header.join('\t'), ...abs].join('\n') + '\n');
  return file;
}

function run(cmd, args) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.on('error', reject);
    child.on('close', () => resolveRun(Buffer.concat(chunks).toString('utf8')));
  });
}

function fail(message) {
  console.error(message);
  process.exit(1);
}
