import type { ListEntry, ListStore } from '../store/lists.js';

const DAY_MS = 86_400_000;

/**
 * The demo gate's lists, as central would push them, so every outcome shows on the demo clip
 * (docs/demo-clip.md lists its plates): allowed vehicles (a transport permit, a fee declared in
 * advance, a registered local motorbike), a permit that has expired, a truck on the customs
 * watch list, plates nobody listed, and a Chinese truck whose permit is listed under its
 * Vietnamese temporary plate, paired with its Chinese plate (docs/decisions.md). Replaced at every demo start, so they are never stale.
 */
export function seedDemoLists(lists: Pick<ListStore, 'applyFull'>, now: number): void {
  lists.applyFull('allow', 1, [
    { key: '29C12345', reason: 'permit', validFrom: now - DAY_MS, validUntil: now + 30 * DAY_MS },
    { key: '59P166480', reason: 'local' },
    { key: '云A12345', reason: 'fee', validUntil: now + DAY_MS },
    { key: '25C01234', reason: 'permit', validFrom: now - 60 * DAY_MS, validUntil: now - DAY_MS },
    {
      key: 'T2513579',
      reason: 'permit',
      pairedPlate: '云A68420',
      validFrom: now - DAY_MS,
      validUntil: now + 7 * DAY_MS,
    },
  ]);
  lists.applyFull('declarations', 1, demoDeclarations(now));
  lists.applyFull('deny', 1, []);
  lists.applyFull('watch', 1, [{ key: '云A54321', reason: 'customs inspection pending', source: 'customs' }]);
}

/**
 * Fees declared for the crossing, as central would push them, for lane-2 (post-check): the truck
 * and the grey car have a pass for many passages and leave clean; the motorbike's covers one
 * passage, so its second loop through lane-2 is flagged `declaration-used`; the blue Chinese car
 * has none and is flagged `undeclared`. Ids carry the demo's start, so a run never finds its
 * one-passage declaration used by an earlier run on the same data directory.
 */
export function demoDeclarations(now: number): ListEntry[] {
  const run = new Date(now).toISOString().replace(/[-:]/g, '').slice(0, 15);
  const declared = (id: string, plate: string, vehicleClass: string, passages: 'one' | 'many', amount: number) => ({
    key: `DEMO-${run}-${id}`,
    plate,
    vehicleClass,
    validFrom: now - DAY_MS,
    validUntil: now + DAY_MS,
    passages,
    amount,
    feeRef: `DEMO-FEE-${id}`,
    declaredAt: now - DAY_MS,
  });
  return [
    { ...declared('1', 'T2513579', 'truck', 'many', 2_000_000), pairedPlate: '云A68420' },
    declared('2', '29C12345', 'car', 'many', 300_000),
    declared('3', '59P166480', 'motorbike', 'one', 50_000),
  ];
}
