import { z } from 'zod';
import {
  DEFAULT_ENGINE,
  DEFAULT_MIN_CHAR_CONFIDENCE,
  DEFAULT_SECOND_READ,
  DEFAULT_SECOND_READER,
  ENGINE_NAMES,
  ENGINES_WITH_SECOND_READ,
} from '../vision/engine-names.js';
import type { EngineChoice } from '../vision/engines.js';

export const COUNTRIES = ['VN', 'CN'] as const;

export const motionSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Run the recogniser only when something moves in the ROI (saves CPU); false reads every frame.'),
    threshold: z
      .number()
      .min(0)
      .max(255)
      .default(4)
      .describe('Luma difference (0..255) between two frames at which a sampled pixel counts as changed.'),
    minChangedFraction: z
      .number()
      .min(0)
      .max(1)
      .default(0.002)
      .describe('Fraction (0..1) of sampled pixels that must change for the ROI to count as moving.'),
    holdMs: z
      .number()
      .min(0)
      .default(2000)
      .describe('Keep reading this long (ms) after motion stops: a vehicle waiting at the barrier stands still.'),
  })
  .prefault({})
  .describe('The motion gate in front of the recogniser.');

export const recognitionSchema = z
  .strictObject({
    engine: z
      .enum(ENGINE_NAMES)
      .default(DEFAULT_ENGINE)
      .describe(
        "Recognition engine: ppocr (PaddleOCR PP-OCRv4 text detector and recogniser) or platenet (the project's own plate detector and reader, models/plate-*.onnx). " +
          'The default stays ppocr until platenet beats it on every benchmark set.',
      ),
    modelsDir: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Folder with platenet's models and their manifests (checked by sha256 at start): plate-detector.onnx and plate-reader.onnx, and plate-reader-2.onnx for secondReader. Default: the models/ folder shipped with smartgate. A relative path is relative to the working directory.",
      ),
    minConfidence: z
      .number()
      .min(0)
      .max(1)
      .default(0.6)
      .describe('Plate reads below this confidence (0..1) are ignored.'),
    minCharConfidence: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        "Plate reads with a character below this probability (0..1) are ignored: a misread is usually one doubtful character. Default: the engine's own (ppocr 0; platenet 0.5, chosen on held-out data: docs/training.md).",
      ),
    secondRead: z
      .boolean()
      .optional()
      .describe(
        "platenet only: read each plate a second time from a crop pushed out by 5 % and count a character only where both reads agree, so a read that depends on where the corners fell is held rather than trusted. Default: the engine's own (docs/benchmarks.md).",
      ),
    secondReader: z
      .boolean()
      .optional()
      .describe(
        "platenet only: read each plate with a second reader too (plate-reader-2.onnx in the models folder, trained apart) and count a character only where both read it alike: fewer wrong reads on every held-out set, some more plates held, about 1.7 ms more per frame with a plate. Default: the engine's own (off; docs/benchmarks.md).",
      ),
    motion: motionSchema,
    countries: z
      .array(z.enum(COUNTRIES))
      .min(1)
      .default([...COUNTRIES])
      .describe('Plate grammars to accept: VN (Vietnam), CN (China).'),
  })
  .prefault({})
  .superRefine((r, ctx) => {
    if (r.secondRead && !ENGINES_WITH_SECOND_READ.includes(r.engine))
      ctx.addIssue({
        code: 'custom',
        path: ['secondRead'],
        message: `only ${ENGINES_WITH_SECOND_READ.join(', ')} can read a plate twice; engine is ${r.engine}`,
      });
    if (r.secondReader && !ENGINES_WITH_SECOND_READ.includes(r.engine))
      ctx.addIssue({
        code: 'custom',
        path: ['secondReader'],
        message: `only ${ENGINES_WITH_SECOND_READ.join(', ')} has a second reader; engine is ${r.engine}`,
      });
  })
  .describe('Plate recognition settings.');

export type RecognitionConfig = z.infer<typeof recognitionSchema>;
export type MotionConfig = z.infer<typeof motionSchema>;

/** The engine a lane asks for, with its engine's defaults filled in. */
export function engineChoiceOf(
  recognition: Pick<RecognitionConfig, 'engine' | 'modelsDir' | 'secondRead' | 'secondReader'>,
): EngineChoice {
  return {
    engine: recognition.engine,
    modelsDir: recognition.modelsDir,
    secondRead: secondReadOf(recognition),
    secondReader: secondReaderOf(recognition),
  };
}

/** Whether a lane's engine reads each plate with its second reader too: the configured choice, else its engine's default. */
export function secondReaderOf(recognition: Pick<RecognitionConfig, 'engine' | 'secondReader'>): boolean {
  return recognition.secondReader ?? DEFAULT_SECOND_READER[recognition.engine];
}

/** Whether a lane's engine reads each plate twice: the configured choice, else its engine's own default. */
export function secondReadOf(recognition: Pick<RecognitionConfig, 'engine' | 'secondRead'>): boolean {
  return recognition.secondRead ?? DEFAULT_SECOND_READ[recognition.engine];
}

/** The character floor a lane reads with: the configured one, else its engine's own default. */
export function minCharConfidenceOf(recognition: Pick<RecognitionConfig, 'engine' | 'minCharConfidence'>): number {
  return recognition.minCharConfidence ?? DEFAULT_MIN_CHAR_CONFIDENCE[recognition.engine];
}

/** The motion gate a lane reads behind, or null when it reads every frame. */
export function motionGateOf(motion: MotionConfig): Omit<MotionConfig, 'enabled'> | null {
  if (!motion.enabled) return null;
  const { enabled: _enabled, ...gate } = motion;
  return gate;
}
