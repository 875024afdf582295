import { parseArgs } from 'node:util';
import { backupStore, BackupError, describeCounts, type BackupResult } from '../store/backup.js';
import { helpRequested, printUsage } from './usage.js';

const USAGE = `usage: smartgate backup --data-dir DIR --to FILE [--force]
  --data-dir DIR   the daemon's dataDir (read only: the daemon may keep running)
  --to FILE        the backup file to write (mode 0600: it holds the gate's private key)
  --force          replace FILE if it exists
A consistent copy of the store (SQLite's online backup API) and the gate key, in one file,
checked with PRAGMA integrity_check. Frame files (DIR/frames) are not in it: copy them with
rsync (docs/operations.md#backup-and-restore). Put it back with smartgate restore.
exit 0: written and checked; 1: could not be made (named on stderr); 2: bad options`;

/** `smartgate backup`: an online backup of the gate's store beside the running daemon. */
export async function backupCommand(argv: string[]): Promise<number> {
  if (helpRequested(argv)) return printUsage(USAGE);
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        to: { type: 'string' },
        force: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    return usageError((err as Error).message);
  }
  const problems: string[] = [];
  if (!values['data-dir']) problems.push("--data-dir: required (the daemon's dataDir)");
  if (!values.to) problems.push('--to: required (the backup file to write)');
  if (problems.length > 0) return usageError(problems.join('\n'));

  let result: BackupResult;
  try {
    result = await backupStore({ dataDir: values['data-dir']!, to: values.to!, force: values.force });
  } catch (err) {
    const message = err instanceof BackupError ? `${err.option}: ${err.message}` : (err as Error).message;
    process.stderr.write(`smartgate backup: ${message}\n`);
    return 1;
  }
  const { store } = result;
  const lines = [
    `backed up ${values['data-dir']} to ${result.file} (${formatBytes(result.bytes)}), checked: integrity ok`,
    `  store: schema version ${store.schemaVersion}, ${describeCounts(store)} to central` +
      (store.newestEventAt === null ? '' : `, newest ${new Date(store.newestEventAt).toISOString()}`),
    result.files.length > 0
      ? `  gate key: ${result.files.join(', ')} (key id ${result.keyId ?? 'unreadable'})`
      : '  gate key: none in the data directory (the daemon makes one on its first start)',
    `  not in it: frame files; copy them with rsync -a ${values['data-dir']}/frames/ DEST/frames/`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

function usageError(message: string): 2 {
  process.stderr.write(`smartgate backup: ${message}\n${USAGE}\n`);
  return 2;
}
