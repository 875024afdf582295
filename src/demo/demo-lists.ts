import type { ListStore } from '../store/lists.js';

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
  lists.applyFull('deny', 1, []);
  lists.applyFull('watch', 1, [{ key: '云A54321', reason: 'customs inspection pending', source: 'customs' }]);
}
