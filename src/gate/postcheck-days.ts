import type { Clock } from '../core/clock.js';
import type { Declaration } from '../lane/deciding/list-entries.js';
import { dayReport, storedDeclarations } from '../postcheck/day-report.js';
import { reconciliationCsv, type Reconciliation } from '../postcheck/reconcile.js';
import { localDay } from '../postcheck/site-day.js';
import type { Store } from '../store/store.js';

/** The post-check's days as the page and central's summary read them. */
export interface PostcheckDays {
  /** The site's local date now, YYYY-MM-DD. */
  today(): string;
  /** One local day's reconciliation; `day` must be a date (isDay). */
  report(day: string): Reconciliation;
  /** Its flagged passages as CSV. */
  csv(day: string): string;
}

/**
 * Day reports over the daemon's store (src/postcheck/day-report.ts). The declarations list is
 * parsed once per version the store holds, not per report: it may hold many thousands, and
 * central's summary and the page ask for a report every few seconds.
 */
export function postcheckDays(store: Pick<Store, 'db' | 'lists'>, timeZone: string, clock: Clock): PostcheckDays {
  let cached: { key: string; declarations: Declaration[] } | null = null;
  const declarations = () => {
    const list = store.lists.summaries().find((s) => s.name === 'declarations');
    const key = list ? `${list.version}@${list.receivedAt}` : 'none';
    if (cached?.key !== key) cached = { key, declarations: list ? storedDeclarations(store.db) : [] };
    return cached.declarations;
  };
  const report = (day: string) => dayReport(store.db, day, timeZone, clock.now(), declarations());
  return {
    today: () => localDay(clock.now(), timeZone),
    report,
    csv: (day) => reconciliationCsv(report(day)),
  };
}
