import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODELS_DIR } from '../../src/vision/engines.js';
import { builtCli, DEMO_CLIP } from '../helpers/demo-clip.js';

// The commands as a user starts them, choosing an engine, and on models that are not what
// their manifests say.

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartgate-models-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [builtCli(), ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: number }).code : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

/** A copy of the shipped models with one byte of the reader inverted; returns its folder, the reader and its manifest's hash. */
async function flippedModels(name: string) {
  const models = join(dir, name);
  await cp(DEFAULT_MODELS_DIR, models, { recursive: true });
  const reader = join(models, 'plate-reader.onnx');
  const bytes = await readFile(reader);
  const middle = Math.floor(bytes.length / 2);
  bytes[middle] = bytes[middle]! ^ 0xff;
  await writeFile(reader, bytes);
  const { sha256 } = JSON.parse(await readFile(join(models, 'plate-reader.manifest.json'), 'utf8')) as {
    sha256: string;
  };
  return { models, reader, sha256 };
}

async function config(name: string, recognition: string): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    [
      'site: { id: test, name: Test gate }',
      `dataDir: ${JSON.stringify(join(dir, `data-${name}`))}`,
      'lanes:',
      '  - id: lane-1',
      '    direction: entry',
      `    camera: { url: ${JSON.stringify(pathToFileURL(DEMO_CLIP).href)}, fps: 5 }`,
      `    recognition: ${recognition}`,
    ].join('\n') + '\n',
  );
  return file;
}

describe('smartgate run with recognition.engine: platenet', () => {
  it('refuses to start, exit 2, when a byte of the reader differs from its manifest', async () => {
    const { models, reader, sha256 } = await flippedModels('flipped');
    const { code, stderr } = await run([
      'run',
      '--config',
      await config('flipped', `{ engine: platenet, modelsDir: ${JSON.stringify(models)} }`),
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${reader}: not the model plate-reader.manifest.json describes`);
    expect(stderr).toContain(`expected sha256 ${sha256}`);
    expect(stderr).toMatch(/actual sha256 [0-9a-f]{64}/);
    expect(stderr).not.toContain('"msg":"started"');
  });

  it('refuses to start, exit 2, when a manifest is missing', async () => {
    const models = join(dir, 'no-manifest');
    await cp(DEFAULT_MODELS_DIR, models, { recursive: true });
    await rm(join(models, 'plate-detector.manifest.json'));
    const { code, stderr } = await run([
      'run',
      '--config',
      await config('missing', `{ engine: platenet, modelsDir: ${JSON.stringify(models)} }`),
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('plate-detector.onnx: its manifest');
  });
});

describe('smartgate recognize --engine', () => {
  it('refuses an unknown engine, naming the flag, with exit 2', async () => {
    const { code, stderr } = await run(['recognize', '--engine', 'tesseract', 'x.png']);
    expect(code).toBe(2);
    expect(stderr).toContain('--engine: unknown engine "tesseract" (expected ppocr or platenet)');
  });

  it('refuses a floor on the weakest character outside 0..1, naming the flag, with exit 2', async () => {
    const { code, stderr } = await run(['recognize', '--engine', 'platenet', '--min-char-confidence', '1.5', 'x.png']);
    expect(code).toBe(2);
    expect(stderr).toContain('--min-char-confidence: expected a number from 0 to 1');
  });

  it.each([
    // the flag, what an engine without it says
    ['--second-read', 'only platenet reads a plate twice'],
    ['--second-reader', 'only platenet has a second reader'],
  ])('refuses %s with an engine that has none, or a value other than on/off, with exit 2', async (flag, lacking) => {
    const ppocr = await run(['recognize', '--engine', 'ppocr', flag, 'on', 'x.png']);
    expect(ppocr.code).toBe(2);
    expect(ppocr.stderr).toContain(`${flag}: ${lacking} (--engine ppocr)`);
    const maybe = await run(['recognize', '--engine', 'platenet', flag, 'maybe', 'x.png']);
    expect(maybe.code).toBe(2);
    expect(maybe.stderr).toContain(`${flag}: expected on or off, got maybe`);
  });

  it('reads with platenet and prints the same JSON line shape', async () => {
    const still = join(dir, 'still.png');
    await promisify(execFile)('/usr/bin/ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-ss',
      '3',
      '-i',
      DEMO_CLIP,
      '-frames:v',
      '1',
      '-y',
      still,
    ]);
    const { code, stdout } = await run(['recognize', '--jsonl', '--engine', 'platenet', still]);
    expect(code).toBe(0);
    const line = JSON.parse(stdout);
    expect(Object.keys(line)).toEqual(['image', 'plates', 'rejected', 'ms']);
    expect(line.image).toBe(still);
    // Read twice, the demo's clean plate is still read: both reads agree on it.
    const twice = await run(['recognize', '--jsonl', '--engine', 'platenet', '--second-read', 'on', still]);
    expect(twice.code).toBe(0);
    expect(JSON.parse(twice.stdout).plates.map((p: { text: string }) => p.text)).toEqual(['29C12345']);
    // So do the two readers.
    const readers = await run(['recognize', '--jsonl', '--engine', 'platenet', '--second-reader', 'on', still]);
    expect(readers.code).toBe(0);
    expect(JSON.parse(readers.stdout).plates.map((p: { text: string }) => p.text)).toEqual(['29C12345']);
  });

  it('refuses models that are not what their manifests say, with exit 2', async () => {
    const { models, reader } = await flippedModels('flipped-recognize');
    const { code, stderr } = await run(['recognize', '--engine', 'platenet', '--models-dir', models, 'x.png']);
    expect(code).toBe(2);
    expect(stderr).toContain(`${reader}: not the model plate-reader.manifest.json describes`);
  });
});
