/**
 * At most `max` password checks at once, over every address and username: each takes scrypt's
 * memory (128 MiB at the default cost) and a core for a while, so logins from many addresses at
 * once must not take the gate computer's memory or CPU from the lanes. A login beyond the cap is
 * refused at once (503 busy) rather than queued, so a burst leaves nothing waiting behind it.
 */
export class CheckSlots {
  private inUse = 0;

  constructor(readonly max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`max must be a whole number ≥ 1, got ${max}`);
  }

  /** A release function (call it once the check is over; later calls do nothing), or null when all slots are taken. */
  tryAcquire(): (() => void) | null {
    if (this.inUse >= this.max) return null;
    this.inUse++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.inUse--;
    };
  }

  get busy(): number {
    return this.inUse;
  }
}
