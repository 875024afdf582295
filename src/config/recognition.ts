import { z } from 'zod';
import { DEFAULT_MIN_CHAR_CONFIDENCE, ENGINE_NAMES } from '../vision/engine-names.js';

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
      .default('ppocr')
      .describe(
        "Recognition engine: ppocr (PaddleOCR PP-OCRv4 text detector and recogniser) or platenet (the project's own plate detector and reader, models/plate-*.onnx). " +
          'The default stays ppocr until platenet beats it on every benchmark set.',
      ),
    modelsDir: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Folder with platenet's models and their manifests (checked by sha256 at start). Default: the models/ folder shipped with smartgate. A relative path is relative to the working directory.",
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
    motion: motionSchema,
    countries: z
      .array(z.enum(COUNTRIES))
      .min(1)
      .default([...COUNTRIES])
      .describe('Plate grammars to accept: VN (Vietnam), CN (China).'),
  })
  .prefault({})
  .describe('Plate recognition settings.');

export type RecognitionConfig = z.infer<typeof recognitionSchema>;
export type MotionConfig = z.infer<typeof motionSchema>;

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
