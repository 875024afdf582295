/**
 * The lists central keeps at every gate: who may pass (`allow`), who may not (`deny`), who is
 * let through or held but alarmed (`watch`), and the fees declared in advance (`declarations`,
 * checked after the passage: docs/postcheck.md). Central pushes them (src/uplink), the store
 * keeps them (src/store) and the lanes decide from them (src/lane).
 */
export const LIST_NAMES = ['allow', 'deny', 'watch', 'declarations'] as const;
export type ListName = (typeof LIST_NAMES)[number];

/** The lists keyed by canonical plate; `declarations` is keyed by the declaration's id. */
export const PLATE_LISTS = ['allow', 'deny', 'watch'] as const satisfies readonly ListName[];
export type PlateListName = (typeof PLATE_LISTS)[number];
