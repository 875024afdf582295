/**
 * The recognition engines by name, apart from their code so the config can name them without
 * loading onnxruntime.
 */
export const ENGINE_NAMES = ['ppocr', 'platenet'] as const;

export type EngineName = (typeof ENGINE_NAMES)[number];

export function isEngineName(name: string): name is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(name);
}

/**
 * Each engine's own floor on its weakest character's probability (`recognition.minCharConfidence`
 * when the config leaves it out). Tuned on the held-out splits (docs/training.md): ppocr's
 * per-character probabilities are not calibrated the same way, and it keeps its earlier behaviour.
 */
export const DEFAULT_MIN_CHAR_CONFIDENCE: Readonly<Record<EngineName, number>> = { ppocr: 0, platenet: 0 };
