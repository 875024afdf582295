/**
 * The lists central keeps at every gate: who may pass (`allow`), who may not (`deny`), who is
 * let through or held but alarmed (`watch`). Central pushes them (src/uplink), the store keeps
 * them (src/store) and the lanes decide from them (src/lane).
 */
export const LIST_NAMES = ['allow', 'deny', 'watch'] as const;
export type ListName = (typeof LIST_NAMES)[number];
