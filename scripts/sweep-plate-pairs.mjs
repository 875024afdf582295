#!/usr/bin/env node
// How close two plates side by side can be and still be read as two: a Chinese truck's plate
// and its Vietnamese temporary plate (scripts/lib/plate-pair-frame.mjs) at several gaps and
// sizes, a few random draws each, through the platenet engine's detector and reader.
//
//   npm run build
//   node scripts/sweep-plate-pairs.mjs [--models-dir models] [--gaps 10,20,36,50,80,120,162]
//        [--widths 160,200,260] [--draws 3]
//
// A draw counts when the engine reads exactly the two plates' texts. Prints a Markdown table:
// one row per width of the Chinese plate (px on a 1280x720 frame), one column per gap.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PAIR_TEXTS, platePairFrame } from './lib/plate-pair-frame.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  console.error(`sweep-plate-pairs: ${message}`);
  process.exit(2);
}

function pixelList(name, text, min) {
  const list = text.split(',').map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < min))
    fail(`--${name} ${text}: expected whole numbers of pixels, at least ${min}, comma-separated`);
  return list;
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      'models-dir': { type: 'string', default: join(root, 'models') },
      gaps: { type: 'string', default: '10,20,36,50,80,120,162' },
      widths: { type: 'string', default: '160,200,260' },
      draws: { type: 'string', default: '3' },
    },
  }));
} catch (err) {
  fail(err.message);
}
const gaps = pixelList('gaps', values.gaps, 0);
const widths = pixelList('widths', values.widths, 1);
const draws = Number(values.draws);
if (!Number.isInteger(draws) || draws < 1) fail(`--draws ${values.draws}: expected a whole number of at least 1`);
for (const w of widths) {
  const vn = Math.round((w / 440) * 520);
  for (const g of gaps)
    if (w + g + vn > 760)
      fail(`--widths ${w} with --gaps ${g}: the plates (${w + g + vn} px) do not fit on the 760 px truck front`);
}
const engineModule = join(root, 'dist/vision/platenet/engine.js');
if (!existsSync(engineModule)) fail(`${engineModule} is missing: run npm run build first`);
const { PlateNetEngine } = await import(engineModule);

const engine = await PlateNetEngine.create({ modelsDir: resolve(values['models-dir']) });
const lines = [
  `| Chinese plate width | ${gaps.map((g) => `${g} px apart`).join(' | ')} |`,
  `| --- | ${gaps.map(() => '---').join(' | ')} |`,
];
try {
  for (const cnPx of widths) {
    const cells = [];
    for (const gap of gaps) {
      let read = 0;
      for (let d = 0; d < draws; d++) {
        const { image } = await platePairFrame({ gap, cnPx, seed: 7 + d });
        const found = await engine.detect(image);
        const reads = await engine.readQuads(
          image,
          found.map((p) => p.corners),
        );
        const texts = reads.map((rows) => rows.map((r) => r.map((c) => c.char).join('')).join('')).sort();
        if (JSON.stringify(texts) === JSON.stringify(PAIR_TEXTS)) read++;
      }
      cells.push(`${read}/${draws}`);
    }
    lines.push(`| ${cnPx} px | ${cells.join(' | ')} |`);
  }
} finally {
  await engine.close();
}
console.log(lines.join('\n'));
