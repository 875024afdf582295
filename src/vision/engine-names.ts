/**
 * The recognition engines by name, apart from their code so the config can name them without
 * loading onnxruntime.
 */
export const ENGINE_NAMES = ['ppocr', 'platenet'] as const;

export type EngineName = (typeof ENGINE_NAMES)[number];

export function isEngineName(name: string): name is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(name);
}
