#!/usr/bin/env node
// Times the hot path per 1280x720 frame and reports the process's memory.
//
//   npm run bench [-- --clip FILE] [--passes N] [--fps N]
//
// Frames come from the demo clip (rendered at set-up): ffmpeg decodes them once to a raw file
// (timed: that is the camera's decode, done in its own process in the daemon), then each frame
// is read from disk into one reused buffer and goes through the lane's path: find plates in the
// region of interest, read them, apply the grammars (readPlates, with crops). Timings are wall
// clock, median and p95 over every frame of every pass; memory is sampled after each frame.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    clip: { type: 'string', default: join(root, '.cache/demo/lane-1.mp4') },
    passes: { type: 'string', default: '3' },
    fps: { type: 'string', default: '2' },
  },
});
const W = 1280;
const H = 720;
const FRAME_BYTES = W * H * 3;
// The demo lane's region of interest (src/cli/demo.ts), and the whole frame for comparison.
const ROIS = { 'lane ROI 800x440': { x: 240, y: 280, w: 800, h: 440 }, 'whole frame': undefined };

const { PpOcrEngine } = await import(join(root, 'dist/vision/ppocr/engine.js'));
const { readPlates } = await import(join(root, 'dist/plates/plate-reading.js'));

const work = mkdtempSync(join(tmpdir(), 'smartgate-bench-'));
try {
  const raw = join(work, 'frames.rgb');
  await extractFrames(values.clip, raw, Number(values.fps));
  const frames = statSync(raw).size / FRAME_BYTES;
  const decode = await timeDecode(values.clip);

  const memory = { start: process.memoryUsage() };
  const loadStarted = performance.now();
  const engine = await PpOcrEngine.create();
  const loadMs = performance.now() - loadStarted;
  memory.loaded = process.memoryUsage();

  const fd = openSync(raw, 'r');
  const image = { width: W, height: H, data: Buffer.alloc(FRAME_BYTES) };
  const results = {};
  let peakRss = 0;
  // RSS after each pass over the frames: a leak shows as growth from pass to pass.
  const rssAfterPass = [];
  for (const [name, roi] of Object.entries(ROIS)) {
    const times = [];
    let plates = 0;
    for (let pass = 0; pass < Number(values.passes); pass++) {
      for (let i = 0; i < frames; i++) {
        const started = performance.now();
        readSync(fd, image.data, 0, FRAME_BYTES, i * FRAME_BYTES);
        const { plates: found } = await readPlates(engine, image, roi, { countries: ['VN', 'CN'], minConfidence: 0.6, withCrops: true });
        times.push(performance.now() - started);
        plates += found.length;
        peakRss = Math.max(peakRss, process.memoryUsage.rss());
      }
      globalThis.gc?.(); // with --expose-gc (npm run bench): what is retained, not what awaits collection
      rssAfterPass.push(`${name} pass ${pass + 1}: ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MB`);
    }
    results[name] = { times, plates };
  }
  closeSync(fd);
  memory.end = process.memoryUsage();
  await engine.close();

  const mb = (n) => `${(n / 2 ** 20).toFixed(0)} MB`;
  console.log(`smartgate bench — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${mb(totalmem())} RAM`);
  console.log(`clip ${values.clip}: ${frames} frames at ${values.fps} fps, ${W}x${H}, ${values.passes} passes per case\n`);
  console.log('| step | median | p95 | frames |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| decode H.264 → RGB24 (ffmpeg, its own process; mean) | ${decode.msPerFrame.toFixed(1)} ms | – | ${decode.frames} |`);
  for (const [name, { times, plates }] of Object.entries(results)) {
    console.log(`| find + read + grammar, ${name} | ${pct(times, 0.5).toFixed(0)} ms | ${pct(times, 0.95).toFixed(0)} ms | ${times.length} (${plates} plates) |`);
  }
  console.log(`\nengine load: ${loadMs.toFixed(0)} ms`);
  console.log('| memory | rss | heap used | external + array buffers |');
  console.log('| --- | --- | --- | --- |');
  for (const [when, m] of Object.entries(memory)) {
    console.log(`| ${when} | ${mb(m.rss)} | ${mb(m.heapUsed)} | ${mb(m.external + m.arrayBuffers)} |`);
  }
  console.log(`| peak rss while reading | ${mb(peakRss)} | | |`);
  console.log(`\nrss after each pass: ${rssAfterPass.join('; ')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

function pct(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** ffmpeg run to completion; resolves with its stdout. */
function ffmpeg(args) {
  return new Promise((resolveRun, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolveRun(stdout) : reject(new Error(`ffmpeg failed (${code}): ${stderr.trim()}`))));
  });
}

/** The clip's frames at `fps`, as raw RGB24 in `out`. */
function extractFrames(clip, out, fps) {
  return ffmpeg(['-i', clip, '-vf', `fps=${fps},scale=${W}:${H}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-y', out]);
}

/** Wall time per frame for ffmpeg to decode every frame of the clip to RGB24 (the camera's work). */
async function timeDecode(clip) {
  const started = performance.now();
  const progress = await ffmpeg(['-i', clip, '-vf', `scale=${W}:${H}`, '-pix_fmt', 'rgb24', '-f', 'null', '-', '-progress', 'pipe:1']);
  const frames = Number([...progress.matchAll(/^frame=(\d+)/gm)].at(-1)?.[1] ?? NaN);
  return { frames, msPerFrame: (performance.now() - started) / frames };
}
