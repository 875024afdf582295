import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { GATE_KEY_FILE, readGatePublicKey } from '../evidence/gate-key.js';
import {
  BACKUP_FILES_TABLE,
  BACKUP_INFO_TABLE,
  backedUpFiles,
  backupInfo,
  BackupError,
  describeCounts,
  fsyncFile,
  integrityProblems,
  summarise,
  type BackupInfo,
  type StoreSummary,
} from './backup.js';
import { StoreLockedError, takeWriterLock, type Database } from './database.js';
import { MIGRATIONS, SchemaTooNewError } from './migrations.js';
import { DATABASE_FILE } from './store.js';

export interface RestoreOptions {
  dataDir: string;
  from: string;
  /** Replace a store (and gate key) already in `dataDir`; the old ones are kept beside it. */
  force?: boolean;
  now?: () => number;
}

export interface RestoreResult {
  store: StoreSummary;
  /** When and where the backup was made; null for a plain copy of a store. */
  info: BackupInfo | null;
  /** The files of the backup written into the data directory (the gate key). */
  restoredFiles: string[];
  /** The key id of the gate key the data directory now has; null when it has none. */
  keyId: string | null;
  /** What was in the way, renamed (never deleted): the old store, its WAL, the old key. */
  keptAs: string[];
  /** Frame files the restored store names that are not in the data directory. */
  missingFrames: number;
}

/** How long to wait for a writer (`smartgate user add`, say) to let go of the store. */
const LOCK_WAIT_MS = 1000;

/**
 * Puts a backup (src/store/backup.ts) back as the store of `dataDir`, with the daemon stopped:
 * it takes the writer's lock as the daemon does, so it fails while one runs. The backup is
 * checked (integrity, a smartgate store, a schema this smartgate knows) before anything in
 * `dataDir` changes; what it replaces is renamed `*.before-restore-<time>`, never deleted.
 */
export function restoreStore(options: RestoreOptions): RestoreResult {
  const { dataDir, from, force = false, now = Date.now } = options;
  const backup = readBackup(from);

  if (existsSync(dataDir) && !statSync(dataDir).isDirectory())
    throw new BackupError('--data-dir', `${dataDir} is not a directory`);
  mkdirSync(dataDir, { recursive: true });
  const storePath = join(dataDir, DATABASE_FILE);
  let lock: Database;
  try {
    lock = takeWriterLock(storePath, LOCK_WAIT_MS);
  } catch (err) {
    if (err instanceof StoreLockedError)
      throw new BackupError(
        '--data-dir',
        `a smartgate is running on ${dataDir} (it holds ${storePath}.lock): stop it first, then restore`,
      );
    throw new BackupError('--data-dir', (err as Error).message);
  }
  try {
    const replaced = inTheWay(dataDir, backup.files);
    if (replaced.length > 0 && !force)
      throw new BackupError(
        '--data-dir',
        `${dataDir} already has ${replaced.map((r) => r.what).join(' and ')}: give --force to replace ` +
          `${replaced.length > 1 ? 'them' : 'it'} (the old files are kept as *.before-restore-<time>)`,
      );
    const stamp = new Date(now()).toISOString().replace(/[:.]/g, '-');
    const temp = preparedCopy(from, dataDir);
    const keptAs: string[] = [];
    try {
      // The old store's -wal belongs to it: left beside the new file, SQLite would replay it there.
      for (const suffix of ['', '-wal']) {
        const path = `${storePath}${suffix}`;
        if (!existsSync(path)) continue;
        const kept = `${storePath}.before-restore-${stamp}${suffix}`;
        renameSync(path, kept);
        keptAs.push(kept);
      }
      if (existsSync(`${storePath}-shm`)) unlinkSync(`${storePath}-shm`);
      chmodSync(temp, replacedMode(keptAs[0]));
      renameSync(temp, storePath);
    } catch (err) {
      if (existsSync(temp)) unlinkSync(temp);
      throw err;
    }
    const restoredFiles: string[] = [];
    for (const file of backup.files) {
      const path = join(dataDir, file.name);
      if (existsSync(path) && readFileSync(path).equals(file.content)) continue;
      if (existsSync(path)) {
        const kept = `${path}.before-restore-${stamp}`;
        renameSync(path, kept);
        keptAs.push(kept);
      }
      writeFileAtomically(path, file.content, file.mode);
      restoredFiles.push(file.name);
    }
    fsyncFile(dataDir);
    return {
      store: backup.store,
      info: backup.info,
      restoredFiles,
      keyId: keyIdIn(dataDir),
      keptAs,
      missingFrames: missingFrames(storePath, dataDir),
    };
  } finally {
    lock.close();
  }
}

interface CheckedBackup {
  store: StoreSummary;
  info: BackupInfo | null;
  files: { name: string; mode: number; content: Buffer }[];
}

/** Reads and checks the backup, read-only, before anything is changed. */
function readBackup(from: string): CheckedBackup {
  if (!existsSync(from)) throw new BackupError('--from', `${from} does not exist`);
  if (!statSync(from).isFile()) throw new BackupError('--from', `${from} is not a file`);
  let db: Database;
  try {
    db = new BetterSqlite3(from, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new BackupError('--from', `cannot read ${from}: ${(err as Error).message}`);
  }
  try {
    let problems: string[];
    try {
      problems = integrityProblems(db);
    } catch (err) {
      throw new BackupError('--from', `${from} is not a backup of a smartgate store: ${(err as Error).message}`);
    }
    if (problems.length > 0)
      throw new BackupError('--from', `${from} fails its integrity check: ${problems.slice(0, 5).join('; ')}`);
    let store: StoreSummary;
    try {
      store = summarise(db);
    } catch (err) {
      throw new BackupError('--from', `${from} is ${(err as Error).message}`);
    }
    const known = MIGRATIONS.at(-1)?.version ?? 0;
    if (store.schemaVersion > known)
      throw new BackupError('--from', new SchemaTooNewError(store.schemaVersion, known).message);
    return { store, info: backupInfo(db), files: backedUpFiles(db) };
  } finally {
    db.close();
  }
}

/** The store and key files in `dataDir` a restore of `files` would replace. */
function inTheWay(dataDir: string, files: CheckedBackup['files']): { what: string }[] {
  const found: { what: string }[] = [];
  const storePath = join(dataDir, DATABASE_FILE);
  if (existsSync(storePath)) found.push({ what: `a store (${describeStore(storePath)})` });
  const key = files.find((f) => f.name === GATE_KEY_FILE);
  const keyPath = join(dataDir, GATE_KEY_FILE);
  if (key && existsSync(keyPath) && !readFileSync(keyPath).equals(key.content))
    found.push({ what: `another gate key (${GATE_KEY_FILE}, key id ${keyIdIn(dataDir) ?? 'unknown'})` });
  return found;
}

/**
 * Read-write, though it only reads: the caller holds the writer's lock, and a read-only connection
 * to a WAL store would leave an empty -wal and -shm behind it.
 */
function describeStore(path: string): string {
  try {
    const db = new BetterSqlite3(path, { fileMustExist: true });
    try {
      return describeCounts(summarise(db));
    } finally {
      db.close();
    }
  } catch (err) {
    return `unreadable: ${(err as Error).message}`;
  }
}

/**
 * The backup copied into `dataDir` under a temp name, its backup tables dropped (the private key
 * overwritten with zeros: secure_delete) and in rollback-journal mode, synced. Mode 0600 until
 * the key is gone from it.
 */
function preparedCopy(from: string, dataDir: string): string {
  const temp = join(dataDir, `${DATABASE_FILE}.restore-${randomBytes(4).toString('hex')}`);
  closeSync(openSync(temp, 'wx', 0o600));
  try {
    copyFileSync(from, temp);
    const db = new BetterSqlite3(temp, { fileMustExist: true });
    try {
      db.pragma('journal_mode = DELETE');
      db.pragma('secure_delete = ON');
      db.exec(`DROP TABLE IF EXISTS ${BACKUP_FILES_TABLE}; DROP TABLE IF EXISTS ${BACKUP_INFO_TABLE}`);
    } finally {
      db.close();
    }
    fsyncFile(temp);
    return temp;
  } catch (err) {
    if (existsSync(temp)) unlinkSync(temp);
    throw err;
  }
}

/** The replaced store's mode, or what the daemon makes a new store with under the usual umask. */
function replacedMode(kept: string | undefined): number {
  return kept && !kept.endsWith('-wal') ? statSync(kept).mode & 0o777 : 0o644;
}

function writeFileAtomically(path: string, content: Buffer, mode: number): void {
  const temp = `${path}.restore-${randomBytes(4).toString('hex')}`;
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  chmodSync(temp, mode);
  fsyncFile(temp);
  renameSync(temp, path);
}

function keyIdIn(dataDir: string): string | null {
  try {
    return readGatePublicKey(dataDir).keyId;
  } catch {
    return null; // no key there, or one that does not read
  }
}

/** Frame files the restored store names that are not (yet) back in `dataDir/frames`. */
function missingFrames(storePath: string, dataDir: string): number {
  const db = new BetterSqlite3(storePath, { readonly: true, fileMustExist: true });
  try {
    const paths = db.prepare<[], { path: string }>('SELECT path FROM frames').all();
    return paths.filter((p) => !existsSync(join(dataDir, p.path))).length;
  } finally {
    db.close();
  }
}
