import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import type { RgbImage } from '../core/image.js';
import { createEngine, type RecognitionEngine } from '../vision/engines.js';
import { minCharConfidenceOf, secondReaderOf, secondReadOf } from '../config/recognition.js';
import {
  DEFAULT_ENGINE,
  ENGINE_NAMES,
  ENGINES_WITH_SECOND_READ,
  isEngineName,
  type EngineName,
} from '../vision/engine-names.js';
import { ModelIntegrityError } from '../vision/model-manifest.js';
import { readPlateCrop, readPlates, type FrameReadings, type PlateReading } from '../lane/reading/plate-reading.js';
import type { Country } from '../plates/types.js';
import { helpRequested, printUsage } from './usage.js';

const USAGE =
  'usage: smartgate recognize [--jsonl] [--plate-crops] [--engine ppocr|platenet] [--models-dir DIR] [--countries VN,CN] [--min-confidence F] [--min-char-confidence F] [--second-read on|off] [--second-reader on|off] [--from LIST|-] IMAGE...';

/**
 * onnxruntime-node 1.30 crashes (SIGSEGV) while creating a session when the process's command
 * line is longer than about 30 kB, which a shell glob over a folder of images easily makes.
 * Past this size the image list is handed to a child process on stdin instead.
 */
const MAX_ARGV_BYTES = 16 * 1024;

/** `smartgate recognize`: the recognition engine on still images, one result per image. */
export async function recognizeCommand(argv: string[]): Promise<number> {
  if (helpRequested(argv)) return printUsage(USAGE);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        jsonl: { type: 'boolean', default: false },
        'plate-crops': { type: 'boolean', default: false },
        countries: { type: 'string', default: 'VN,CN' },
        'min-confidence': { type: 'string', default: '0.6' },
        'min-char-confidence': { type: 'string' },
        engine: { type: 'string', default: DEFAULT_ENGINE },
        'models-dir': { type: 'string' },
        'second-read': { type: 'string' },
        'second-reader': { type: 'string' },
        from: { type: 'string' },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (Buffer.byteLength(process.argv.join(' ')) > MAX_ARGV_BYTES && positionals.length > 0) {
    return rerunWithListOnStdin(argv, positionals);
  }
  let images = positionals;
  if (values.from !== undefined) {
    try {
      images = [...images, ...readList(values.from)];
    } catch (err) {
      console.error(`--from: cannot read ${values.from}: ${(err as Error).message}`);
      return 2;
    }
  }
  const countries = values.countries.split(',').map((c) => c.trim().toUpperCase());
  const bad = countries.filter((c) => c !== 'VN' && c !== 'CN');
  const minConfidence = Number(values['min-confidence']);
  const engineName = values.engine;
  const minCharConfidence = Number(
    values['min-char-confidence'] ?? (isEngineName(engineName) ? minCharConfidenceOf({ engine: engineName }) : 0),
  );
  const inUnit = (v: number) => v >= 0 && v <= 1;
  // on / off, else the engine's own default; null for anything else.
  const onOff = (value: string | undefined, engineDefault: (engine: EngineName) => boolean) =>
    value === undefined
      ? isEngineName(engineName) && engineDefault(engineName)
      : (({ on: true, off: false } as Record<string, boolean>)[value] ?? null);
  const secondRead = onOff(values['second-read'], (engine) => secondReadOf({ engine }));
  const secondReader = onOff(values['second-reader'], (engine) => secondReaderOf({ engine }));
  if (
    images.length === 0 ||
    bad.length ||
    !inUnit(minConfidence) ||
    !inUnit(minCharConfidence) ||
    !isEngineName(engineName) ||
    secondRead === null ||
    (secondRead && !ENGINES_WITH_SECOND_READ.includes(engineName)) ||
    secondReader === null ||
    (secondReader && !ENGINES_WITH_SECOND_READ.includes(engineName))
  ) {
    if (bad.length) console.error(`--countries: unknown country ${bad.join(', ')} (expected VN, CN)`);
    if (!inUnit(minConfidence)) console.error('--min-confidence: expected a number from 0 to 1');
    if (!inUnit(minCharConfidence)) console.error('--min-char-confidence: expected a number from 0 to 1');
    if (!isEngineName(engineName))
      console.error(`--engine: unknown engine "${engineName}" (expected ${ENGINE_NAMES.join(' or ')})`);
    else if (secondRead === null) console.error(`--second-read: expected on or off, got ${values['second-read']}`);
    else if (secondRead)
      console.error(
        `--second-read: only ${ENGINES_WITH_SECOND_READ.join(', ')} reads a plate twice (--engine ${engineName})`,
      );
    else if (secondReader === null)
      console.error(`--second-reader: expected on or off, got ${values['second-reader']}`);
    else if (secondReader)
      console.error(
        `--second-reader: only ${ENGINES_WITH_SECOND_READ.join(', ')} has a second reader (--engine ${engineName})`,
      );
    console.error(USAGE);
    return 2;
  }
  const opts = { countries: countries as Country[], minConfidence, minCharConfidence, withCrops: false };
  let engine: RecognitionEngine;
  try {
    engine = await createEngine(engineName, {
      ...(values['models-dir'] ? { modelsDir: values['models-dir'] } : {}),
      secondRead: secondRead ?? false,
      secondReader: secondReader ?? false,
    });
  } catch (err) {
    if (!(err instanceof ModelIntegrityError)) throw err;
    console.error(err.message);
    return 2;
  }
  let failures = 0;
  for (const path of images) {
    const started = performance.now();
    let result: FrameReadings;
    try {
      const image = await decodeImage(path);
      result = values['plate-crops']
        ? await readPlateCrop(engine, image, opts)
        : await readPlates(engine, image, undefined, opts);
    } catch (err) {
      failures++;
      const message = (err as Error).message;
      if (values.jsonl)
        console.log(
          JSON.stringify({ image: path, plates: [], error: message, ms: round(performance.now() - started) }),
        );
      else console.error(`${path}: ${message}`);
      continue;
    }
    const ms = round(performance.now() - started);
    if (values.jsonl) console.log(JSON.stringify(toJsonLine(path, result, ms)));
    else console.log(describe(path, result, ms));
  }
  await engine.close();
  return failures ? 1 : 0;
}

/** One image path per line; `-` reads the list from stdin. */
function readList(source: string): string[] {
  const text = readFileSync(source === '-' ? 0 : source, 'utf8');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

function rerunWithListOnStdin(argv: string[], images: string[]): Promise<number> {
  const options = argv.filter((a) => !images.includes(a));
  const child = spawn(process.execPath, [process.argv[1]!, 'recognize', ...options, '--from', '-'], {
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  child.stdin.end(images.join('\n') + '\n');
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
}

export async function decodeImage(path: string): Promise<RgbImage> {
  const { data, info } = await sharp(path)
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

/** The line `../shared/tools/score-plates.mjs` scores; rejected reads ride along, flagged. */
export function toJsonLine(image: string, result: FrameReadings, ms: number) {
  const plate = (r: PlateReading) => ({
    text: r.plate.text,
    display: r.plate.display,
    country: r.plate.country,
    kind: r.plate.kind,
    confidence: round(r.confidence, 4),
    weakest_char: round(r.weakestChar, 4),
    box: [r.box.x, r.box.y, r.box.w, r.box.h],
  });
  return {
    image,
    plates: result.plates.map(plate),
    rejected: result.rejected.map((r) => ({ raw: r.plate.raw, reason: r.plate.reason ?? 'rejected', ...plate(r) })),
    ms,
  };
}

function describe(image: string, result: FrameReadings, ms: number): string {
  const plates = result.plates.map(
    (r) =>
      `${r.plate.display} (${r.plate.country} ${r.plate.kind}, ${r.confidence.toFixed(2)}) at ${r.box.x},${r.box.y} ${r.box.w}x${r.box.h}`,
  );
  const rejected = result.rejected.map((r) => `rejected "${r.plate.raw}" (${r.plate.reason ?? 'no grammar matched'})`);
  return `${image}: ${[...plates, ...rejected].join('; ') || 'no plate'} [${ms} ms]`;
}

const round = (v: number, digits = 1) => Number(v.toFixed(digits));
