import { parseArgs } from 'node:util';
import { BackupError, describeCounts } from '../store/backup.js';
import { MIGRATIONS } from '../store/migrations.js';
import { restoreStore, type RestoreResult } from '../store/restore.js';
import { helpRequested, printUsage } from './usage.js';

const USAGE = `usage: smartgate restore --data-dir DIR --from FILE [--force]
  --data-dir DIR   the daemon's dataDir (made if missing); the daemon must be stopped
  --from FILE      a backup made by smartgate backup
  --force          replace the store (and a different gate key) already in DIR; the old files
                   are kept beside it as *.before-restore-<time>
The backup is checked (integrity, schema version) before anything in DIR changes. Frame files
are not in a backup: copy them back with rsync (docs/operations.md#backup-and-restore).
exit 0: restored; 1: not restored (named on stderr); 2: bad options`;

/** `smartgate restore`: puts a backup back as the gate's store, with the daemon stopped. */
export async function restoreCommand(argv: string[]): Promise<number> {
  if (helpRequested(argv)) return printUsage(USAGE);
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        from: { type: 'string' },
        force: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    return usageError((err as Error).message);
  }
  const problems: string[] = [];
  if (!values['data-dir']) problems.push("--data-dir: required (the daemon's dataDir)");
  if (!values.from) problems.push('--from: required (a file made by smartgate backup)');
  if (problems.length > 0) return usageError(problems.join('\n'));

  const dataDir = values['data-dir']!;
  let result: RestoreResult;
  try {
    result = restoreStore({ dataDir, from: values.from!, force: values.force });
  } catch (err) {
    const message = err instanceof BackupError ? `${err.option}: ${err.message}` : (err as Error).message;
    process.stderr.write(`smartgate restore: ${message}\nnothing in ${dataDir} was changed\n`);
    return 1;
  }
  const { store, info } = result;
  const known = MIGRATIONS.at(-1)?.version ?? 0;
  const lines = [
    `restored ${values.from} into ${dataDir}` +
      (info ? ` (backup made ${new Date(info.madeAt).toISOString()} by smartgate ${info.smartgateVersion})` : ''),
    `  store: schema version ${store.schemaVersion}` +
      (store.schemaVersion < known ? ` (the daemon brings it up to ${known} when it starts)` : '') +
      `, ${describeCounts(store)}: the daemon sends them when it starts`,
    result.restoredFiles.length > 0
      ? `  gate key: ${result.restoredFiles.join(', ')} restored (key id ${result.keyId ?? 'unreadable'})`
      : result.keyId
        ? `  gate key: key id ${result.keyId}, as it was in ${dataDir}`
        : '  gate key: none in the backup nor in the data directory: the daemon makes a new one, which central must be given (smartgate key show)',
    ...result.keptAs.map((path) => `  kept: ${path}`),
  ];
  if (result.missingFrames > 0)
    lines.push(
      `  frames: ${result.missingFrames} frame files the store names are not in ${dataDir}/frames: copy them back (rsync) before smartgate verify`,
    );
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function usageError(message: string): 2 {
  process.stderr.write(`smartgate restore: ${message}\n${USAGE}\n`);
  return 2;
}
