import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoClip } from '../helpers/demo-clip.js';

// `npm run bench`'s model options, run for real on three frames of the demo clip (built dist/).
// Only what was loaded and recorded is checked; the timings are not.
const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const bench = join(root, 'scripts/bench.mjs');

let dir: string;
let clip: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bench-options-'));
  clip = (await demoClip('entry')).path;
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const benchArgs = (...extra: string[]) => [
  bench,
  '--engine',
  'platenet',
  '--clip',
  clip,
  '--limit',
  '3',
  '--passes',
  '1',
  ...extra,
];

/** The bench's exit, output and stderr; a failing run does not throw. */
async function runBench(...extra: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, benchArgs(...extra), { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run bench: which models platenet is timed with', () => {
  it('--second-reader loads plate-reader-2.onnx beside the reader, says so, and records it', async () => {
    const summaryFile = join(dir, 'second.json');
    const { code, stdout } = await runBench('--second-reader', '--summary', summaryFile);
    expect(code).toBe(0);
    expect(stdout).toMatch(/models\/plate-reader-2\.onnx [0-9a-f]{12} \(second reader on: both read every plate\)/);
    const summary = JSON.parse(await readFile(summaryFile, 'utf8'));
    expect(summary.secondReader).toBe(true);
    expect(Object.keys(summary.engines.platenet.models)).toEqual([
      'models/plate-detector.onnx',
      'models/plate-reader.onnx',
      'models/plate-reader-2.onnx',
    ]);
  }, 120_000);

  it('--models-dir times the models found there, one reader unless asked', async () => {
    const models = join(dir, 'candidate');
    await mkdir(models);
    for (const f of ['plate-detector', 'plate-reader'])
      for (const ext of ['.onnx', '.manifest.json'])
        await copyFile(join(root, 'models', f + ext), join(models, f + ext));
    const summaryFile = join(dir, 'candidate.json');
    const { code, stdout } = await runBench('--models-dir', models, '--summary', summaryFile);
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/second reader on/);
    const summary = JSON.parse(await readFile(summaryFile, 'utf8'));
    expect(summary.secondReader).toBe(false);
    const files = Object.keys(summary.engines.platenet.models);
    expect(files).toHaveLength(2);
    expect(files.every((f) => join(root, f).startsWith(models))).toBe(true);

    // The same folder has no second reader: asked for one, platenet is skipped by name.
    const missing = await runBench('--models-dir', models, '--second-reader', '--summary', join(dir, 'none.json'));
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toMatch(/plate-reader-2\.onnx missing — skipped/);
    expect(missing.stderr).toMatch(/no engine to run/);
  }, 120_000);

  it('names a models folder that does not exist instead of timing anything', async () => {
    const { code, stdout, stderr } = await runBench('--models-dir', join(dir, 'no-such-folder'));
    expect(code).not.toBe(0);
    expect(stdout).toMatch(/no-such-folder\/plate-detector\.onnx missing — skipped/);
    expect(stderr).toMatch(/no engine to run/);
  }, 60_000);
});
