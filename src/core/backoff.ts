export interface BackoffOptions {
  /** Delay before the first restart. */
  initialMs: number;
  /** Upper bound: the delay doubles up to this and stays there. */
  maxMs: number;
}

/**
 * Delay before restart number `attempt` (0-based since the last healthy stretch):
 * initialMs, 2·initialMs, 4·initialMs, … capped at maxMs.
 */
export function backoffDelayMs(attempt: number, { initialMs, maxMs }: BackoffOptions): number {
  if (attempt <= 0) return Math.min(initialMs, maxMs);
  // 2 ** attempt overflows to Infinity for large attempts, which Math.min caps just the same.
  return Math.min(initialMs * 2 ** attempt, maxMs);
}
