import type { Database } from '../store/database.js';
import { buildListIndex, type Declaration } from '../lane/deciding/list-entries.js';
import { PostcheckRecords } from '../store/postcheck-records.js';
import { reconcile, type Reconciliation } from './reconcile.js';
import { dayWindow } from './site-day.js';

/**
 * One local day's reconciliation read from a store: its passages from the ledger and the
 * declarations the gate holds. The daemon (for central's summary and the page) and `smartgate
 * reconcile` (on a read-only connection) share it. The daemon gives the declarations it keeps
 * parsed (`declarations`), so a report does not parse the whole list each time.
 */
export function dayReport(
  db: Database,
  day: string,
  timeZone: string,
  /** Wall clock now: a declaration is expired unused only once its validity has ended. */
  now: number,
  declarations: Iterable<Declaration> = storedDeclarations(db),
): Reconciliation {
  const records = new PostcheckRecords(db);
  return reconcile({
    day,
    timeZone,
    window: dayWindow(day, timeZone),
    now,
    passages: records.passagesOf(day),
    declarations,
    passagesUsing: (id) => records.passagesUsing(id),
  });
}

/** The declarations list as stored, as the deciders read it (entries that do not parse are left out). */
export function storedDeclarations(db: Database): Declaration[] {
  const rows = db.prepare<[], { entry: string }>("SELECT entry FROM list_entries WHERE list = 'declarations'").all();
  const { index } = buildListIndex({
    declarations: { version: 0, receivedAt: 0, entries: rows.map((r) => JSON.parse(r.entry) as { key: string }) },
  });
  return [...index.declarations.keys()].map((id) => index.declarations.get(id)!);
}
