#!/usr/bin/env node
// Check an exported reader model (scripts/train/reader.py --export) with onnxruntime-node:
// read plate crops, greedy-decode the CTC output, print the text and per-character confidence.
//
//   node scripts/train/check-onnx.mjs MODEL.onnx [IMAGE[@x,y,w,h] ...] [--ref REF.json]
//        [--bench N] [--threads N]
//
// IMAGE@x,y,w,h crops the box from a frame first. --ref compares onnxruntime's output with
// torch's on the inputs reader.py saved at export (the work folder's *.ref.json): same text,
// same confidences. --bench N times N single-plate runs (preprocessed input, model + decoding)
// with 1 and 2 intra-op threads, or only --threads N, and prints the median and p95 in ms.
// The charset and input size come from the manifest beside the model (MODEL.manifest.json).
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import sharp from 'sharp';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const refPath = opt('--ref');
const benchRuns = Number(opt('--bench') ?? 0);
const threadsArg = opt('--threads');
const [modelPath, ...images] = args;
if (!modelPath) {
  console.error('usage: check-onnx.mjs MODEL.onnx [IMAGE[@x,y,w,h] ...] [--ref REF.json] [--bench N] [--threads N]');
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(modelPath.replace(/\.onnx$/, '') + '.manifest.json', 'utf8'));
const [, , H, W] = manifest.input.shape;
const charset = manifest.charset;
const LUMA = [0.299, 0.587, 0.114];

async function session(threads) {
  return ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}

/** The manifest's preprocessing: crop, resize to W x H ignoring aspect (bilinear), luma, /127.5 - 1. */
async function preprocess(spec) {
  const [file, box] = spec.split('@');
  let img = sharp(file).removeAlpha();
  if (box) {
    const [x, y, w, h] = box.split(',').map(Number);
    img = img.extract({ left: Math.round(x), top: Math.round(y), width: Math.round(w), height: Math.round(h) });
  }
  const { data, info } = await img
    .resize(W, H, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const out = new Float32Array(W * H);
  for (let i = 0; i < W * H; i++) {
    const c = info.channels;
    const l = c >= 3 ? data[i * c] * LUMA[0] + data[i * c + 1] * LUMA[1] + data[i * c + 2] * LUMA[2] : data[i * c];
    out[i] = l / 127.5 - 1;
  }
  return out;
}

/**
 * probs [T, K] (flat) -> { text, confidence[] }, as reader.py's greedy_decode: each row's steps
 * (the manifest's row_steps; all steps without it) decoded on their own (argmax per step,
 * collapse repeats, drop blanks), the non-empty rows joined by the row break.
 */
function greedyDecode(probs, T, K) {
  const segment = manifest.row_steps ?? T;
  const rows = [];
  const confidence = [];
  for (let start = 0; start < T; start += segment) {
    let text = '';
    let prev = 0;
    for (let t = start; t < Math.min(T, start + segment); t++) {
      let best = 0;
      let p = probs[t * K];
      for (let k = 1; k < K; k++)
        if (probs[t * K + k] > p) {
          p = probs[t * K + k];
          best = k;
        }
      if (best !== 0 && best === prev) confidence[confidence.length - 1] = Math.max(confidence.at(-1), p);
      else if (best !== 0) {
        text += charset[best];
        confidence.push(p);
      }
      prev = best;
    }
    if (text) rows.push(text);
  }
  return { text: rows.join(manifest.row_break ?? '|'), confidence };
}

async function read(sess, input) {
  const out = await sess.run({ [manifest.input.name]: new ort.Tensor('float32', input, [1, 1, H, W]) });
  const probs = out[manifest.output.name];
  const [, T, K] = probs.dims;
  return { ...greedyDecode(probs.data, T, K), probs: probs.data };
}

const fmt = (r) => `${r.text}  [${r.confidence.map((c) => c.toFixed(3)).join(' ')}]`;
const sess = await session(Number(threadsArg ?? 1));
console.log(
  `model ${modelPath} sha256 ${manifest.sha256.slice(0, 12)}… input [N,1,${H},${W}] charset ${charset.length}`,
);

for (const spec of images) console.log(`${spec}: ${fmt(await read(sess, await preprocess(spec)))}`);

let failed = false;
if (refPath) {
  const refs = JSON.parse(readFileSync(refPath, 'utf8'));
  for (const r of refs) {
    const got = await read(sess, Float32Array.from(r.input));
    const maxDiff = Math.max(
      0,
      ...got.confidence.map((c, i) => Math.abs(c - (r.confidence[i] ?? -1))),
      ...r.probs_first_steps.map((p, i) => Math.abs(p - got.probs[i])),
    );
    const ok = got.text === r.text && got.confidence.length === r.confidence.length && maxDiff < 1e-3;
    failed ||= !ok;
    console.log(
      `${ok ? 'ok  ' : 'FAIL'} ${r.folder}/${r.image} label ${r.label} onnx ${fmt(got)} torch ${r.text} (max prob diff ${maxDiff.toExponential(1)})`,
    );
  }
}

if (benchRuns > 0) {
  const input = images.length ? await preprocess(images[0]) : new Float32Array(W * H);
  for (const threads of threadsArg ? [Number(threadsArg)] : [1, 2]) {
    const s = await session(threads);
    for (let i = 0; i < 20; i++) await read(s, input);
    const ms = [];
    for (let i = 0; i < benchRuns; i++) {
      const t0 = process.hrtime.bigint();
      await read(s, input);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    ms.sort((a, b) => a - b);
    const q = (f) => ms[Math.min(ms.length - 1, Math.floor(f * ms.length))].toFixed(3);
    console.log(
      `bench threads=${threads} runs=${benchRuns}: median ${q(0.5)} ms, p95 ${q(0.95)} ms, min ${ms[0].toFixed(3)} ms`,
    );
  }
}
process.exit(failed ? 1 : 0);
