/**
 * The recognition engines by name, apart from their code so the config can name them without
 * loading onnxruntime.
 */
export const ENGINE_NAMES = ['ppocr', 'platenet'] as const;

export type EngineName = (typeof ENGINE_NAMES)[number];

/** The engine a lane and `smartgate recognize` use when none is named. */
export const DEFAULT_ENGINE: EngineName = 'ppocr';

export function isEngineName(name: string): name is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(name);
}

/**
 * Each engine's own floor on its weakest character's probability (`recognition.minCharConfidence`
 * when the config leaves it out). platenet's was chosen with scripts/sweep-char-floor.mjs on the
 * held-out splits (docs/training.md): at 0.5 it halves its wrong reads on CCPD and OpenALPR for
 * one CCPD plate. ppocr keeps 0: its sweep shows any useful floor costing many GreenParking reads.
 */
export const DEFAULT_MIN_CHAR_CONFIDENCE: Readonly<Record<EngineName, number>> = { ppocr: 0, platenet: 0.5 };

/**
 * Whether an engine reads each plate a second time from a slightly larger crop and keeps only what
 * both reads agree on (`recognition.secondRead` when the config leaves it out). Only platenet can;
 * see src/vision/platenet/second-opinion.ts.
 */
export const DEFAULT_SECOND_READ: Readonly<Record<EngineName, boolean>> = { ppocr: false, platenet: false };

/**
 * Whether an engine reads each plate with a second reader too, trained apart, and keeps only the
 * characters both read alike (`recognition.secondReader` when the config leaves it out). Only
 * platenet has one (models/plate-reader-2.onnx); off by default: it cuts the wrong reads on every
 * held-out set but costs about 1.7 ms a frame, which takes the whole frame past 10 ms on a 2-core
 * AMD EPYC (docs/benchmarks.md, "A second reader that must agree").
 */
export const DEFAULT_SECOND_READER: Readonly<Record<EngineName, boolean>> = { ppocr: false, platenet: false };
export const ENGINES_WITH_SECOND_READ: readonly EngineName[] = ['platenet'];
