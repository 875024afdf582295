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
 * when the config leaves it out). platenet's was chosen with scripts/sweep-char-floor.mjs on the
 * held-out splits (docs/training.md): at 0.5 it halves its wrong reads on CCPD and OpenALPR for
 * one CCPD plate. ppocr keeps 0: its sweep shows any useful floor costing many GreenParking reads.
 */
export const DEFAULT_MIN_CHAR_CONFIDENCE: Readonly<Record<EngineName, number>> = { ppocr: 0, platenet: 0.5 };
