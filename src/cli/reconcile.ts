import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isTimeZone } from '../config/fields.js';
import { dayReport } from '../postcheck/day-report.js';
import { reconciliationCsv } from '../postcheck/reconcile.js';
import { isDay, localDay } from '../postcheck/site-day.js';
import { openDatabaseReadOnly } from '../store/database.js';
import { schemaVersion } from '../store/migrations.js';
import { PostcheckRecords } from '../store/postcheck-records.js';
import { DATABASE_FILE } from '../store/store.js';
import { helpRequested, printUsage } from './usage.js';

const USAGE = `usage: smartgate reconcile --data-dir DIR [--day YYYY-MM-DD] [--format json|csv] [--time-zone TZ]
  --data-dir DIR      the daemon's dataDir (read only: the daemon may keep running)
  --day YYYY-MM-DD    the site's local day (default: today in the site's time zone)
  --format json|csv   json (default): the whole reconciliation; csv: one row per flagged passage
  --time-zone TZ      the site's IANA time zone (default: site.timeZone as the daemon last recorded it)`;

/** The post-check store schema (migration 6, src/store/migrations.ts). */
const POSTCHECK_SCHEMA = 6;
const DEFAULT_TIME_ZONE = 'Asia/Ho_Chi_Minh';

/**
 * `smartgate reconcile`: one day's post-check of fee declarations (docs/postcheck.md) from the
 * store, on a read-only connection beside the running daemon. Exit 0 with the report on stdout;
 * 2 for bad options or a store that cannot be read.
 */
export async function reconcileCommand(argv: string[]): Promise<number> {
  if (helpRequested(argv)) return printUsage(USAGE);
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        day: { type: 'string' },
        format: { type: 'string', default: 'json' },
        'time-zone': { type: 'string' },
      },
    }).values;
  } catch (err) {
    return fail((err as Error).message);
  }
  const problems: string[] = [];
  if (!values['data-dir']) problems.push('--data-dir: required (the daemon’s dataDir)');
  if (values.format !== 'json' && values.format !== 'csv') problems.push('--format: expected json or csv');
  if (values.day !== undefined && !isDay(values.day))
    problems.push('--day: expected a date YYYY-MM-DD, e.g. 2026-12-04');
  if (values['time-zone'] !== undefined && !isTimeZone(values['time-zone']))
    problems.push('--time-zone: expected an IANA time zone, e.g. Asia/Ho_Chi_Minh');
  if (problems.length > 0) return fail(problems.join('\n'));

  let db;
  try {
    db = openDatabaseReadOnly(join(values['data-dir']!, DATABASE_FILE));
  } catch (err) {
    return fail(`--data-dir: ${(err as Error).message}`);
  }
  try {
    const version = schemaVersion(db);
    if (version < POSTCHECK_SCHEMA)
      return fail(
        `--data-dir: the store has schema version ${version}, older than the post-check (${POSTCHECK_SCHEMA}): start the daemon once on it to bring it up to date`,
      );
    const timeZone = values['time-zone'] ?? new PostcheckRecords(db).timeZone() ?? DEFAULT_TIME_ZONE;
    const day = values.day ?? localDay(Date.now(), timeZone);
    const report = dayReport(db, day, timeZone, Date.now());
    process.stdout.write(values.format === 'csv' ? reconciliationCsv(report) : `${JSON.stringify(report, null, 2)}\n`);
    return 0;
  } finally {
    db.close();
  }
}

function fail(message: string): 2 {
  process.stderr.write(`${message}\n${USAGE}\n`);
  return 2;
}
