import type { CnPlateKind, PlateKind, VnPlateKind } from './types.js';

/** Every Vietnamese plate kind the grammar reports (src/plates/types.ts), as a list for config enums. */
export const VN_PLATE_KINDS = [
  'car',
  'motorbike',
  'commercial',
  'state',
  'military',
  'foreign-ng',
  'foreign-nn',
  'foreign-qt',
  'temporary',
] as const satisfies readonly VnPlateKind[];

/** Every Chinese plate kind the grammar reports. */
export const CN_PLATE_KINDS = [
  'ordinary',
  'new-energy',
  'trailer',
  'coach',
  'police',
  'hong-kong-macau',
  'embassy',
] as const satisfies readonly CnPlateKind[];

export const PLATE_KINDS = [...VN_PLATE_KINDS, ...CN_PLATE_KINDS] as const;

// A kind added to types.ts but not here fails to compile, so config never silently refuses it.
type Missing = Exclude<PlateKind, (typeof PLATE_KINDS)[number]>;
const complete: [Missing] extends [never] ? true : Missing = true;
void complete;
