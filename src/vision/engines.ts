import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isEngineName, ENGINE_NAMES, type EngineName } from './engine-names.js';
import { PlateNetEngine } from './platenet/engine.js';
import { PpOcrEngine } from './ppocr/engine.js';
import type { PlateFinder, PlateReader, PlateRereader } from './types.js';

export type { EngineName } from './engine-names.js';

/** What the lanes, `recognize`, the benchmark and the evaluation run: find, read (and reread, platenet), close. */
export interface RecognitionEngine extends PlateFinder, PlateReader, Partial<PlateRereader> {
  close(): Promise<void>;
}

/** The repo's models/ folder, found from this module's own place (src/vision or dist/vision). */
export const DEFAULT_MODELS_DIR = fileURLToPath(new URL('../../models', import.meta.url));

/**
 * Creates an engine by name. `modelsDir` is where platenet's models and manifests are (default
 * the shipped models/); ppocr's come from its npm package and ignore it. `threads` is per model
 * session (default 1). Throws ModelIntegrityError when a model is not the one its manifest or
 * pin describes.
 */
export async function createEngine(
  name: EngineName,
  opts: { modelsDir?: string; threads?: number; secondRead?: boolean; secondReader?: boolean } = {},
): Promise<RecognitionEngine> {
  if (!isEngineName(name))
    throw new Error(`unknown recognition engine "${String(name)}" (expected ${ENGINE_NAMES.join(' or ')})`);
  const threads = opts.threads ?? 1;
  if (name === 'ppocr') return PpOcrEngine.create({ threads });
  return PlateNetEngine.create({
    modelsDir: opts.modelsDir ?? DEFAULT_MODELS_DIR,
    threads,
    ...(opts.secondRead !== undefined ? { secondRead: opts.secondRead } : {}),
    ...(opts.secondReader !== undefined ? { secondReader: opts.secondReader } : {}),
  });
}

/** What one lane asks for: `recognition.engine` and `recognition.modelsDir` of its config. */
export interface EngineChoice {
  engine: EngineName;
  modelsDir?: string | undefined;
  /** platenet: read each plate twice (second-opinion.ts). */
  secondRead?: boolean | undefined;
  /** platenet: read each plate with a second reader too (second-opinion.ts). */
  secondReader?: boolean | undefined;
}

/** The engines a daemon's lanes ask for: one per distinct choice, shared by the lanes making it. */
export interface EngineSet {
  forChoice(choice: EngineChoice): RecognitionEngine;
  close(): Promise<void>;
}

/**
 * Creates every engine `choices` name, once each, one after the other (two cores: loading in
 * parallel gains nothing). If one fails (a model that is not what its manifest says), those
 * already created are closed and the error is thrown.
 */
export async function createEngines(choices: readonly EngineChoice[], threads?: number): Promise<EngineSet> {
  const engines = new Map<string, RecognitionEngine>();
  try {
    for (const choice of choices) {
      const key = choiceKey(choice);
      if (engines.has(key)) continue;
      const opts = {
        ...(choice.modelsDir ? { modelsDir: choice.modelsDir } : {}),
        ...(threads ? { threads } : {}),
        ...(choice.secondRead !== undefined ? { secondRead: choice.secondRead } : {}),
        ...(choice.secondReader !== undefined ? { secondReader: choice.secondReader } : {}),
      };
      engines.set(key, await createEngine(choice.engine, opts));
    }
  } catch (err) {
    await Promise.all([...engines.values()].map((e) => e.close()));
    throw err;
  }
  return {
    forChoice: (choice) => {
      const engine = engines.get(choiceKey(choice));
      if (!engine)
        throw new Error(`no ${choice.engine} engine was created for ${choice.modelsDir ?? 'the default models'}`);
      return engine;
    },
    close: async () => {
      await Promise.all([...engines.values()].map((e) => e.close()));
    },
  };
}

/** ppocr's models come from its package, so its models folder does not make another engine. */
const choiceKey = (c: EngineChoice) =>
  c.engine === 'ppocr'
    ? 'ppocr'
    : `${c.engine}:${resolve(c.modelsDir ?? DEFAULT_MODELS_DIR)}${c.secondRead ? ':second-read' : ''}${c.secondReader ? ':second-reader' : ''}`;
