#!/usr/bin/env node
// Synthetic plate crops for training the project's own recogniser (issue 6, part 1): seeded
// Vietnamese and Chinese plate texts that the project's grammar accepts, drawn at their real
// proportions and colours with fonts from Debian packages, then augmented. docs/synthetic-data.md.
//
//   node scripts/synth/plates.mjs --out DIR --count N [--seed S] [--kinds vn-private,cn-blue,...|vn|cn]
//        [--size WxH|native] [--px-per-mm 0.5] [--no-augment] [--jobs 4] [--resume]
//
// Writes DIR/images/000001.png ..., DIR/labels.tsv (header; image, plate, display, country, kind,
// rows, colour, synth_kind, augment: the columns of ../shared/datasets plus ours) and
// DIR/manifest.json. The same seed, count, kinds and size give the same files. Sample i depends
// only on (seed, i), so --resume keeps the images already written and draws the rest.
// Needs dist/ built (npm run build): the texts are checked with the project's parsePlate.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { PLATE_FONTS } from '../lib/plate-art.mjs';
import { AUGMENT_RATES, NATIVE_PX_PER_MM, renderCrop } from './render.mjs';
import { GENERATOR_VERSION, NOT_GENERATED, SYNTH_KINDS, YUNNAN_SHARE, makeSpec, resolveKinds } from './specs.mjs';

const { parsePlate } = await import(new URL('../../dist/plates/parse.js', import.meta.url).href);

function fail(message) {
  console.error(`synth/plates: ${message}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      out: { type: 'string' },
      count: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '1' },
      kinds: { type: 'string' },
      size: { type: 'string', default: 'native' },
      'px-per-mm': { type: 'string', default: String(NATIVE_PX_PER_MM) },
      'no-augment': { type: 'boolean', default: false },
      jobs: { type: 'string', default: '4' },
      resume: { type: 'boolean', default: false },
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
let kinds;
try {
  kinds = resolveKinds(values.kinds);
} catch (err) {
  fail(`--kinds: ${err.message}`);
}
let size = null;
if (values.size !== 'native') {
  const m = /^(\d+)x(\d+)$/.exec(values.size);
  if (!m || Number(m[1]) < 8 || Number(m[2]) < 8) fail('--size: expected WxH (at least 8x8) or native');
  size = [Number(m[1]), Number(m[2])];
}
const pxPerMm = Number(values['px-per-mm']);
if (!(pxPerMm > 0.05 && pxPerMm <= 4)) fail('--px-per-mm: expected 0.05..4');
const jobs = Math.max(1, Math.min(16, Number(values.jobs) || 4));

/** The font files fontconfig picks for the plates, and the Debian packages that ship them. */
function fontsUsed() {
  return PLATE_FONTS.map((f) => {
    let file = null,
      pkg = null,
      version = null;
    try {
      file = execFileSync('fc-match', ['-f', '%{file}', f.pattern], { encoding: 'utf8' }).trim();
      pkg = execFileSync('dpkg-query', ['-S', file], { encoding: 'utf8' }).split(':')[0].trim();
      version = execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' }).trim();
    } catch {
      // No fontconfig or dpkg: record what is known.
    }
    if (pkg && pkg !== f.package)
      fail(
        `fontconfig draws "${f.family}" from ${file} (${pkg}), expected package ${f.package}: install it (scripts/setup.sh)`,
      );
    return { family: f.family, use: f.use, file, package: pkg ?? f.package, version };
  });
}

async function main() {
  const started = performance.now();
  const fonts = fontsUsed();
  mkdirSync(join(out, 'images'), { recursive: true });
  const specs = Array.from({ length: count }, (_, i) => makeSpec(seed, i, kinds));
  for (const [i, s] of specs.entries()) {
    const p = parsePlate(s.rows, s.hint ? { color: s.hint } : {});
    if (!p.valid || p.text !== s.text || p.country !== s.country || p.kind !== s.kind) {
      fail(
        `sample ${i + 1}: the grammar reads ${s.rows.join(' ')} as ${p.valid ? `${p.country} ${p.kind} ${p.text}` : `invalid (${p.reason})`}, expected ${s.country} ${s.kind}`,
      );
    }
  }
  const names = specs.map((_, i) => `images/${String(i + 1).padStart(6, '0')}.png`);
  const augments = new Array(count);
  let next = 0,
    done = 0,
    kept = 0;
  async function worker() {
    for (let i = next++; i < count; i = next++) {
      const file = join(out, names[i]);
      const crop = await renderCrop(specs[i], { seed, index: i, size, pxPerMm, augment: !values['no-augment'] });
      augments[i] = crop.augment;
      if (values.resume && existsSync(file)) kept++;
      else {
        await writeFile(`${file}.partial`, crop.png);
        renameSync(`${file}.partial`, file);
      }
      if (++done % 1000 === 0) console.error(`synth/plates: ${done}/${count}`);
    }
  }
  await Promise.all(Array.from({ length: jobs }, worker));

  const header = ['image', 'plate', 'display', 'country', 'kind', 'rows', 'colour', 'synth_kind', 'augment'];
  const lines = specs.map((s, i) =>
    [names[i], s.text, s.rows.join(' '), s.country, s.kind, s.rows.length, s.colour, s.synthKind, augments[i]].join(
      '\t',
    ),
  );
  writeFileSync(join(out, 'labels.tsv'), [header.join('\t'), ...lines].join('\n') + '\n');

  const tally = (key) =>
    Object.fromEntries(Object.entries(specs.reduce((m, s) => ((m[key(s)] = (m[key(s)] ?? 0) + 1), m), {})).sort());
  const cn = specs.filter(
    (s) => s.country === 'CN' && /^[\u4e00-\u9fff][A-Z]/.test(s.text) && s.kind !== 'hong-kong-macau',
  );
  const manifest = {
    generator: 'scripts/synth/plates.mjs',
    version: GENERATOR_VERSION,
    seed,
    count,
    kinds,
    size: size ? `${size[0]}x${size[1]}` : 'native',
    pxPerMm: size ? null : pxPerMm,
    augment: values['no-augment'] ? 'none' : AUGMENT_RATES,
    counts: {
      synthKind: tally((s) => s.synthKind),
      kind: tally((s) => `${s.country} ${s.kind}`),
      colour: tally((s) => s.colour),
      rows: tally((s) => String(s.rows.length)),
    },
    yunnan: {
      target: YUNNAN_SHARE,
      share: cn.length ? Number((cn.filter((s) => s.text.startsWith('云')).length / cn.length).toFixed(3)) : null,
    },
    fonts,
    renderer: { sharp: sharp.versions.sharp, libvips: sharp.versions.vips },
    notGenerated: NOT_GENERATED,
    weights: Object.fromEntries(kinds.map((k) => [k, SYNTH_KINDS[k].weight])),
  };
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `synth/plates: wrote ${count} crops to ${out}${kept ? ` (${kept} kept from before)` : ''} in ${seconds.toFixed(1)} s`,
  );
}

await main();
