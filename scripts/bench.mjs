#!/usr/bin/env node
// Times the recognition engines' hot path per 1280x720 frame, in one run on the same frames, and
// reports the process's memory.
//
//   npm run bench [-- --clip FILE] [--passes N] [--fps N] [--limit N] [--engine ppocr,platenet] [--threads N]
//                   [--models-dir DIR] [--second-reader] [--summary FILE]
//
// Frames come from the demo clip (rendered at set-up): ffmpeg decodes them once to a raw file
// (timed: that is the camera's decode, done in its own process in the daemon), then each frame
// is read from disk into one reused buffer and goes through the lane's path with each engine:
// find plates in the region of interest, read them, apply the grammars (readPlates, with crops).
// Timings are wall clock around readPlates alone, median and p95 over every frame of every pass;
// each engine reads the first frame once before timing starts (session warm-up, not counted).
//
// The engines are interleaved frame by frame: both are loaded, and each frame is read by one
// then the other (the order swapped every pass), rather than one engine's passes after the
// other's. The gate computer has two cores and other work (here, a model-training job) may share
// them; interleaving makes any change in that load fall on both engines alike, so the speed-up
// ratio compares the engines and not two moments of the machine. The price is that memory is
// attributed to an engine only through what loading it added.
//
// platenet reads its models from models/ (--models-dir DIR: a candidate's, laid out the same way)
// with one reader; --second-reader times it with recognition.secondReader on (plate-reader-2.onnx
// reads every plate too).
//
// Prints Markdown tables and writes the figures to .cache/bench/summary.json (--summary FILE: there).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let values;
try {
  ({ values } = parseArgs({
    options: {
      clip: { type: 'string', default: join(root, '.cache/demo/lane-1.mp4') },
      passes: { type: 'string', default: '3' },
      fps: { type: 'string', default: '2' },
      // The first N frames only: a quick run while developing.
      limit: { type: 'string' },
      engine: { type: 'string', default: 'ppocr,platenet' },
      // The daemon's setting: one intra-op thread per model session.
      threads: { type: 'string', default: '1' },
      'models-dir': { type: 'string', default: join(root, 'models') },
      'second-reader': { type: 'boolean', default: false },
      summary: { type: 'string', default: join(root, '.cache/bench/summary.json') },
    },
  }));
} catch (err) {
  fail(`bench: ${err.message}`);
}
const W = 1280;
const H = 720;
const FRAME_BYTES = W * H * 3;
// The demo lane's region of interest (src/cli/demo.ts), and the whole frame for comparison.
const ROIS = { 'lane ROI 800x440': { x: 240, y: 280, w: 800, h: 440 }, 'whole frame': undefined };
// The speed-up is platenet's against the first engine's.
const BASELINE = 'ppocr';
const CHALLENGER = 'platenet';
const modelsDir = resolve(values['models-dir']);
const secondReader = values['second-reader'];
// The files platenet loads, shown relative to the checkout when they are in it.
const PLATENET_MODELS = [
  'plate-detector.onnx',
  'plate-reader.onnx',
  ...(secondReader ? ['plate-reader-2.onnx'] : []),
].map((f) => relative(root, join(modelsDir, f)));
// Issue 24's done-when for platenet: per 1280x720 frame, in the same run as ppocr (issue 6 asked
// for 15 ms and 5x; the hot path's own aim is 8 ms).
const TARGET = { medianMs: 10, speedup: 10 };

const ENGINES = [BASELINE, CHALLENGER];
const wanted = values.engine
  .split(',')
  .map((e) => e.trim())
  .filter(Boolean);
const unknown = wanted.filter((e) => !ENGINES.includes(e));
if (unknown.length || !wanted.length)
  fail(`bench: --engine: unknown engine ${unknown.join(', ')} (expected ${ENGINES.join(', ')})`);
const passes = Number(values.passes);
const threads = Number(values.threads);
if (!(Number.isInteger(passes) && passes > 0)) fail('bench: --passes: expected a positive integer');
if (!(Number.isInteger(threads) && threads > 0)) fail('bench: --threads: expected a positive integer');
const limit = values.limit === undefined ? Infinity : Number(values.limit);
if (!(limit === Infinity || (Number.isInteger(limit) && limit >= 2)))
  fail('bench: --limit: expected an integer of at least 2 (the first frame is the warm-up)');
if (!existsSync(values.clip)) fail(`bench: no clip at ${values.clip} (npm run demo renders it, or pass --clip FILE)`);

const enginesModule = join(root, 'dist/vision/engines.js');
if (!existsSync(enginesModule)) fail(`bench: ${enginesModule} is missing: run npm run build first`);
const { createEngine } = await import(enginesModule);
const { readPlates } = await import(join(root, 'dist/lane/reading/plate-reading.js'));
const { DEFAULT_MIN_CHAR_CONFIDENCE } = await import(join(root, 'dist/vision/engine-names.js'));
// What a lane does with each engine's defaults (minCharConfidenceOf in src/config/recognition.ts).
const readOpts = (name) => ({
  countries: ['VN', 'CN'],
  minConfidence: 0.6,
  minCharConfidence: DEFAULT_MIN_CHAR_CONFIDENCE[name],
  withCrops: true,
});

/** Why an engine cannot be benchmarked here, or null. */
function whyNot(name) {
  if (name === BASELINE) return null; // its models ship in an npm package (models/README.md)
  for (const file of PLATENET_MODELS) if (!existsSync(join(root, file))) return `${file} missing`;
  return null;
}

const skipped = {};
const names = [];
for (const name of wanted) {
  const why = whyNot(name);
  if (why) {
    skipped[name] = why;
    console.log(`${name}: ${why} — skipped`);
  } else names.push(name);
}
if (!names.length) fail('bench: no engine to run');

const work = mkdtempSync(join(tmpdir(), 'smartgate-bench-'));
try {
  const raw = join(work, 'frames.rgb');
  await extractFrames(values.clip, raw, Number(values.fps), limit);
  const frames = Math.min(limit, statSync(raw).size / FRAME_BYTES);
  if (frames < 2) throw new Error(`bench: ${values.clip} gave ${frames} frames at ${values.fps} fps: need at least 2`);
  const decode = await timeDecode(values.clip);

  const memory = { start: process.memoryUsage() };
  const engines = {};
  for (const name of names) {
    globalThis.gc?.();
    const rssBefore = process.memoryUsage.rss();
    const started = performance.now();
    const engine = await createEngine(name, { threads, ...(name === CHALLENGER ? { modelsDir, secondReader } : {}) });
    const loadMs = performance.now() - started;
    globalThis.gc?.();
    memory[`${name} loaded`] = process.memoryUsage();
    engines[name] = { engine, loadMs, rssAdded: memory[`${name} loaded`].rss - rssBefore };
  }

  const fd = openSync(raw, 'r');
  const image = { width: W, height: H, data: Buffer.alloc(FRAME_BYTES) };
  const readFrame = (i) => readSync(fd, image.data, 0, FRAME_BYTES, i * FRAME_BYTES);
  // results[roi][engine] = { times, plates }
  const results = {};
  let peakRss = 0;
  // RSS after each pass over the frames: a leak shows as growth from pass to pass.
  const rssAfterPass = [];
  for (const [roiName, roi] of Object.entries(ROIS)) {
    results[roiName] = Object.fromEntries(names.map((n) => [n, { times: [], plates: 0 }]));
    readFrame(0);
    for (const name of names) await readPlates(engines[name].engine, image, roi, readOpts(name)); // warm-up, not timed
    for (let pass = 0; pass < passes; pass++) {
      const order = pass % 2 === 0 ? names : [...names].reverse();
      for (let i = 0; i < frames; i++) {
        readFrame(i);
        for (const name of order) {
          const started = performance.now();
          const { plates: found } = await readPlates(engines[name].engine, image, roi, readOpts(name));
          results[roiName][name].times.push(performance.now() - started);
          results[roiName][name].plates += found.length;
        }
        peakRss = Math.max(peakRss, process.memoryUsage.rss());
      }
      globalThis.gc?.(); // with --expose-gc (npm run bench): what is retained, not what awaits collection
      rssAfterPass.push(`${roiName} pass ${pass + 1}: ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MB`);
    }
  }
  closeSync(fd);
  memory.end = process.memoryUsage();
  for (const { engine } of Object.values(engines)) await engine.close();

  const summary = {
    date: new Date().toISOString(),
    machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? 'cpu', ramBytes: totalmem() },
    clip: values.clip,
    frames,
    fps: Number(values.fps),
    passes,
    threads,
    secondReader,
    order: 'interleaved per frame, order swapped every pass; first frame read once per engine and ROI before timing',
    decode,
    engines: Object.fromEntries(
      names.map((n) => [
        n,
        {
          // Which models were timed: ppocr's are pinned in src/vision/ppocr/models.ts.
          models:
            n === CHALLENGER
              ? Object.fromEntries(
                  PLATENET_MODELS.map((f) => [
                    f,
                    createHash('sha256')
                      .update(readFileSync(join(root, f)))
                      .digest('hex'),
                  ]),
                )
              : null,
          loadMs: round(engines[n].loadMs),
          rssAddedByLoadBytes: engines[n].rssAdded,
          rois: Object.fromEntries(
            Object.entries(results).map(([roi, r]) => [
              roi,
              {
                medianMs: round(pct(r[n].times, 0.5)),
                p95Ms: round(pct(r[n].times, 0.95)),
                frames: r[n].times.length,
                plates: r[n].plates,
              },
            ]),
          ),
        },
      ]),
    ),
    skipped,
    speedup: null,
    target: null,
    memory: {
      ...Object.fromEntries(
        Object.entries(memory).map(([k, m]) => [
          k,
          { rss: m.rss, heapUsed: m.heapUsed, externalAndArrayBuffers: m.external + m.arrayBuffers },
        ]),
      ),
      peakRss,
    },
    rssAfterPass,
  };
  if (names.includes(BASELINE) && names.includes(CHALLENGER)) {
    summary.speedup = Object.fromEntries(
      Object.keys(ROIS).map((roi) => [
        roi,
        round(summary.engines[BASELINE].rois[roi].medianMs / summary.engines[CHALLENGER].rois[roi].medianMs, 2),
      ]),
    );
    summary.target = Object.fromEntries(
      Object.keys(ROIS).map((roi) => {
        const median = summary.engines[CHALLENGER].rois[roi].medianMs;
        // An engine that finds or reads far fewer plates may be fast for doing less: say so.
        const plates = { [BASELINE]: results[roi][BASELINE].plates, [CHALLENGER]: results[roi][CHALLENGER].plates };
        const comparable = plates[CHALLENGER] >= plates[BASELINE] / 2;
        return [
          roi,
          {
            medianMs: median,
            speedup: summary.speedup[roi],
            pass: median <= TARGET.medianMs && summary.speedup[roi] >= TARGET.speedup,
            plates,
            comparable,
          },
        ];
      }),
    );
  }
  const summaryFile = resolve(values.summary);
  mkdirSync(dirname(summaryFile), { recursive: true });
  writeFileSync(summaryFile, JSON.stringify(summary, null, 2) + '\n');

  const mb = (n) => `${(n / 2 ** 20).toFixed(0)} MB`;
  console.log(
    `smartgate bench — ${summary.date.slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${summary.machine.cpu}, ${mb(totalmem())} RAM`,
  );
  console.log(
    `clip ${values.clip}: ${frames} frames at ${values.fps} fps, ${W}x${H}, ${passes} pass${passes === 1 ? '' : 'es'} per case, ${threads} thread(s) per session`,
  );
  console.log(
    `engines ${names.join(', ')} in one process on the same frames, interleaved frame by frame; warm-up frame excluded`,
  );
  if (names.includes(CHALLENGER))
    console.log(
      `${CHALLENGER} models: ${Object.entries(summary.engines[CHALLENGER].models)
        .map(([f, h]) => `${f} ${h.slice(0, 12)}`)
        .join(', ')}${secondReader ? ' (second reader on: both read every plate)' : ''}`,
    );
  console.log('');
  console.log('| step | engine | median | p95 | frames |');
  console.log('| --- | --- | --- | --- | --- |');
  console.log(
    `| decode H.264 → RGB24 (ffmpeg, its own process; mean) | – | ${decode.msPerFrame.toFixed(1)} ms | – | ${decode.frames} |`,
  );
  for (const [roi, byEngine] of Object.entries(results)) {
    for (const [name, { times, plates }] of Object.entries(byEngine)) {
      console.log(
        `| find + read + grammar, ${roi} | ${name} | ${fmtMs(pct(times, 0.5))} | ${fmtMs(pct(times, 0.95))} | ${times.length} (${plates} plates) |`,
      );
    }
  }
  if (summary.speedup) {
    console.log(`\n| speed-up (${BASELINE} median / ${CHALLENGER} median) | ${Object.keys(ROIS).join(' | ')} |`);
    console.log(
      `| --- | ${Object.keys(ROIS)
        .map(() => '---')
        .join(' | ')} |`,
    );
    console.log(
      `| per frame | ${Object.values(summary.speedup)
        .map((x) => `${x.toFixed(1)}×`)
        .join(' | ')} |`,
    );
  }
  if (summary.speedup) {
    console.log(
      `\n| done-when: ${CHALLENGER} median ≤ ${TARGET.medianMs} ms and ≥ ${TARGET.speedup}× ${BASELINE} | median | speed-up | result |`,
    );
    console.log('| --- | --- | --- | --- |');
    for (const [roi, t] of Object.entries(summary.target)) {
      const caveat = t.comparable
        ? ''
        : ` (but ${CHALLENGER} read ${t.plates[CHALLENGER]} plates where ${BASELINE} read ${t.plates[BASELINE]})`;
      console.log(
        `| ${roi} | ${fmtMs(t.medianMs)} | ${t.speedup.toFixed(1)}× | ${t.pass ? 'PASS' : 'FAIL'}${caveat} |`,
      );
    }
  }
  console.log('\n| engine | load | rss added by loading |');
  console.log('| --- | --- | --- |');
  for (const n of names) console.log(`| ${n} | ${engines[n].loadMs.toFixed(0)} ms | ${mb(engines[n].rssAdded)} |`);
  console.log('\n| memory | rss | heap used | external + array buffers |');
  console.log('| --- | --- | --- | --- |');
  for (const [when, m] of Object.entries(memory)) {
    console.log(`| ${when} | ${mb(m.rss)} | ${mb(m.heapUsed)} | ${mb(m.external + m.arrayBuffers)} |`);
  }
  console.log(`| peak rss while reading | ${mb(peakRss)} | | |`);
  console.log(`\nrss after each pass: ${rssAfterPass.join('; ')}`);
  for (const [name, why] of Object.entries(skipped)) console.log(`${name}: ${why} — skipped`);
  console.log(`written: ${relative(root, summaryFile)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

function pct(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function round(v, digits = 1) {
  return Number(v.toFixed(digits));
}

// A tenth of a millisecond where it matters against the 15 ms target; whole ones above.
function fmtMs(v) {
  return `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ms`;
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

/** ffmpeg run to completion; resolves with its stdout. */
function ffmpeg(args) {
  return new Promise((resolveRun, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolveRun(stdout) : reject(new Error(`ffmpeg failed (${code}): ${stderr.trim()}`)),
    );
  });
}

/** The clip's first `max` frames at `fps`, as raw RGB24 in `out`. */
function extractFrames(clip, out, fps, max) {
  const count = Number.isFinite(max) ? ['-frames:v', String(max)] : [];
  return ffmpeg([
    '-i',
    clip,
    '-vf',
    `fps=${fps},scale=${W}:${H}`,
    ...count,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-y',
    out,
  ]);
}

/** Wall time per frame for ffmpeg to decode every frame of the clip to RGB24 (the camera's work). */
async function timeDecode(clip) {
  const started = performance.now();
  const progress = await ffmpeg([
    '-i',
    clip,
    '-vf',
    `scale=${W}:${H}`,
    '-pix_fmt',
    'rgb24',
    '-f',
    'null',
    '-',
    '-progress',
    'pipe:1',
  ]);
  const frames = Number([...progress.matchAll(/^frame=(\d+)/gm)].at(-1)?.[1] ?? NaN);
  return { frames, msPerFrame: (performance.now() - started) / frames };
}
