import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  GATE_PUBLIC_KEY_FILE,
  gatePublicKeyFromText,
  readGatePublicKey,
  type GatePublicKey,
} from '../evidence/gate-key.js';
import { isDay } from '../postcheck/site-day.js';
import {
  auditChain,
  CHAIN_SCHEMA,
  ChainAuditError,
  describeAuditFault,
  summariseAudit,
  type AuditStart,
} from '../store/chain-audit.js';
import { openDatabaseReadOnly } from '../store/database.js';
import { schemaVersion } from '../store/migrations.js';
import { DATABASE_FILE } from '../store/store.js';
import { helpRequested, printUsage } from './usage.js';

const USAGE = `usage: smartgate verify --data-dir DIR [--from EVENT_ID|YYYY-MM-DD] [--public-key FILE_OR_TEXT] [--json]
  --data-dir DIR        the daemon's dataDir (read only: the daemon may keep running)
  --from EVENT_ID       start at this event (its lane from it, the other lanes from its time);
  --from YYYY-MM-DD     or at the first event of each lane at or after this UTC date.
                        The first event checked on each lane is taken as it links back.
  --public-key KEY      the gate's public key, a file or the key itself (base64 or PEM), e.g.
                        central's copy; default DIR/${GATE_PUBLIC_KEY_FILE}
  --json                the result as JSON on stdout
exit 0: everything holds; 1: something does not (named on stdout); 2: bad options or no store`;

/**
 * `smartgate verify`: checks a gate's records against its evidence chain (docs/evidence.md): every
 * event's hashes and link, the signed checkpoints and pruned ranges, the crops and frame files.
 * Reads the store on a read-only connection beside the running daemon.
 */
export async function verifyCommand(argv: string[]): Promise<number> {
  if (helpRequested(argv)) return printUsage(USAGE);
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        from: { type: 'string' },
        'public-key': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    return fail((err as Error).message);
  }
  const dataDir = values['data-dir'];
  if (!dataDir) return fail("--data-dir: required (the daemon's dataDir)");
  let from: AuditStart | undefined;
  if (values.from !== undefined) {
    if (isDay(values.from)) from = { since: Date.parse(`${values.from}T00:00:00Z`) };
    else if (/^[0-9A-HJKMNP-TV-Z]{26}$/i.test(values.from)) from = { eventId: values.from.toUpperCase() };
    else return fail('--from: expected an event id (26 characters) or a date YYYY-MM-DD, e.g. 2026-12-04');
  }
  const warnings: string[] = [];
  const found = gateKey(dataDir, values['public-key'], warnings);
  if ('usage' in found) return fail(found.usage);
  if ('unreadable' in found) {
    // The data directory's own key is damaged: nothing signed can be vouched for with it.
    process.stdout.write(`FAILED: ${found.unreadable} (give the gate's key with --public-key)\n`);
    return 1;
  }
  const key = found.key;

  let db;
  try {
    db = openDatabaseReadOnly(join(dataDir, DATABASE_FILE));
  } catch (err) {
    return fail(`--data-dir: ${(err as Error).message}`);
  }
  try {
    const version = schemaVersion(db);
    if (version < CHAIN_SCHEMA)
      return fail(
        `--data-dir: the store has schema version ${version}, older than the evidence chain (${CHAIN_SCHEMA}): nothing in it is chained`,
      );
    let report;
    try {
      report = auditChain(db, { dataDir, publicKey: key?.key ?? null, ...(from && { from }) });
    } catch (err) {
      if (err instanceof ChainAuditError) return fail(`--from: ${err.message}`);
      throw err;
    }
    warnings.push(...report.warnings);
    if (values.json) {
      const fault = report.fault && { ...report.fault, message: describeAuditFault(report.fault) };
      const publicKey = key && { keyId: key.key.keyId, source: key.source };
      process.stdout.write(`${JSON.stringify({ ok: report.ok, counts: report.counts, fault, warnings, publicKey })}\n`);
    } else {
      for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
      process.stdout.write(
        report.fault
          ? `FAILED: ${describeAuditFault(report.fault)}\n(so far: ${summariseAudit(report.counts)})\n`
          : `ok: ${summariseAudit(report.counts)}\n`,
      );
    }
    return report.ok ? 0 : 1;
  } finally {
    db.close();
  }
}

/** The key to check signatures with, and where it came from. */
type KeyChoice =
  { key: { key: GatePublicKey; source: 'option' | 'data-dir' } | null } | { usage: string } | { unreadable: string };

/**
 * --public-key wins over DIR/gate-key.pub, which whoever can change the store can change too;
 * null when there is neither (a store with nothing signed can still be checked).
 */
function gateKey(dataDir: string, option: string | undefined, warnings: string[]): KeyChoice {
  const path = join(dataDir, GATE_PUBLIC_KEY_FILE);
  let stored: GatePublicKey | null = null;
  let storedProblem: string | null = null;
  if (existsSync(path)) {
    try {
      stored = readGatePublicKey(dataDir);
    } catch (err) {
      storedProblem = (err as Error).message;
    }
  }
  if (option === undefined) {
    if (storedProblem) return { unreadable: storedProblem };
    return { key: stored && { key: stored, source: 'data-dir' } };
  }
  let given: GatePublicKey;
  const isFile = existsSync(option);
  try {
    given = gatePublicKeyFromText(isFile ? readFileSync(option, 'utf8') : option);
  } catch (err) {
    return { usage: `--public-key: ${isFile ? `${option} ` : ''}${(err as Error).message}` };
  }
  if (storedProblem) warnings.push(`${storedProblem}; checking with --public-key`);
  else if (stored && stored.keyId !== given.keyId)
    warnings.push(
      `--public-key (key id ${given.keyId}) is not the key in ${path} (key id ${stored.keyId}): checking with --public-key`,
    );
  return { key: { key: given, source: 'option' } };
}

function fail(message: string): 2 {
  process.stderr.write(`smartgate verify: ${message}\n${USAGE}\n`);
  return 2;
}
