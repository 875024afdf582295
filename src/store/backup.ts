import { createPublicKey, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { GATE_KEY_FILE, GATE_PUBLIC_KEY_FILE, gatePublicKeyFromText, keyIdOf } from '../evidence/gate-key.js';
import { smartgateVersion } from '../core/version.js';
import { openDatabaseReadOnly, type Database } from './database.js';
import { schemaVersion } from './migrations.js';
import { DATABASE_FILE } from './store.js';

/**
 * A backup is one SQLite file: a consistent copy of `smartgate.db` made with SQLite's online
 * backup API from a read-only connection (the daemon keeps writing meanwhile), plus two tables
 * of its own: the gate key files, without which a restored gate could not sign its chain, and
 * when and from where the copy was made. `smartgate restore` takes those tables out again.
 * Frame files are not in it (docs/operations.md#backup-and-restore).
 */
export const BACKUP_FILES_TABLE = 'smartgate_backup_files';
export const BACKUP_INFO_TABLE = 'smartgate_backup_info';
/** The files of the data directory a backup carries, when the data directory has them. */
export const BACKED_UP_FILES = [GATE_KEY_FILE, GATE_PUBLIC_KEY_FILE] as const;

/** A backup or restore that cannot be done, naming the option at fault. */
export class BackupError extends Error {
  override readonly name = 'BackupError';

  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

/** What a store (or a backup of one) holds, as `backup` and `restore` print it. */
export interface StoreSummary {
  schemaVersion: number;
  events: number;
  /** Events in the outbox not yet delivered to central. */
  undelivered: number;
  /** Time of the newest event, null when there is none. */
  newestEventAt: number | null;
}

export interface BackupInfo {
  madeAt: number;
  smartgateVersion: string;
  dataDir: string;
}

export interface BackupResult {
  file: string;
  bytes: number;
  store: StoreSummary;
  /** The key id of the gate key in the backup; null when it has none, or none that reads. */
  keyId: string | null;
  files: string[];
}

export interface BackupOptions {
  dataDir: string;
  to: string;
  /** Replace an existing `to`. */
  force?: boolean;
  now?: () => number;
}

/**
 * Makes a backup of the store in `dataDir` at `to`: copied into a temp file beside it (mode 0600,
 * for the private key in it), checked with `PRAGMA integrity_check`, synced and renamed into
 * place. The store is only read, without the writer's lock, so the daemon may keep running.
 */
export async function backupStore(options: BackupOptions): Promise<BackupResult> {
  const { dataDir, force = false, now = Date.now } = options;
  const to = resolve(options.to);
  checkDataDir(dataDir);
  const storePath = join(dataDir, DATABASE_FILE);
  if (!existsSync(storePath))
    throw new BackupError('--data-dir', `no store in ${dataDir} (${DATABASE_FILE}): is it the daemon's dataDir?`);
  checkTarget(to, dataDir, force);

  const files = readKeyFiles(dataDir);
  let source: Database;
  try {
    source = openDatabaseReadOnly(storePath);
  } catch (err) {
    throw new BackupError('--data-dir', (err as Error).message);
  }
  const temp = `${to}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    // Made first, so the copy (and the key in it) is never readable by others, even for a moment.
    closeSync(openSync(temp, 'wx', 0o600));
  } catch (err) {
    source.close();
    throw new BackupError('--to', `cannot write in ${dirname(to)}: ${(err as Error).message}`);
  }
  try {
    try {
      // All remaining pages in one step, so in one read transaction: a step-by-step copy starts
      // over whenever the daemon commits between two steps, and a busy gate commits often.
      await source.backup(temp, { progress: () => 0x7fffffff });
    } finally {
      source.close();
    }
    const copy = new BetterSqlite3(temp);
    let store: StoreSummary;
    try {
      // A single file: no -wal beside it to lose when the backup is copied elsewhere.
      copy.pragma('journal_mode = DELETE');
      addBackupTables(copy, files, { madeAt: now(), smartgateVersion: smartgateVersion(), dataDir: resolve(dataDir) });
      const problems = integrityProblems(copy);
      if (problems.length > 0) throw new Error(`the copy fails its integrity check: ${problems.join('; ')}`);
      store = summarise(copy);
    } finally {
      copy.close();
    }
    fsyncFile(temp);
    renameSync(temp, to);
    fsyncFile(dirname(to));
    return { file: to, bytes: statSync(to).size, store, keyId: keyIdOfFiles(files), files: files.map((f) => f.name) };
  } catch (err) {
    if (existsSync(temp)) unlinkSync(temp);
    throw err;
  }
}

function checkDataDir(dataDir: string): void {
  if (!existsSync(dataDir)) throw new BackupError('--data-dir', `${dataDir} does not exist`);
  if (!statSync(dataDir).isDirectory()) throw new BackupError('--data-dir', `${dataDir} is not a directory`);
}

/** `to` may not be the store itself, nor replace anything without --force. */
function checkTarget(to: string, dataDir: string, force: boolean): void {
  const dir = dirname(to);
  if (!existsSync(dir)) throw new BackupError('--to', `the directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new BackupError('--to', `${dir} is not a directory`);
  const name = basename(to);
  if (
    realpathSync(dir) === realpathSync(dataDir) &&
    (name.startsWith(DATABASE_FILE) || (BACKED_UP_FILES as readonly string[]).includes(name))
  )
    throw new BackupError('--to', `${to} is one of the store's own files: write the backup elsewhere`);
  if (existsSync(to)) {
    if (statSync(to).isDirectory()) throw new BackupError('--to', `${to} is a directory: name the backup file`);
    if (!force) throw new BackupError('--to', `${to} exists (give --force to replace it)`);
  }
}

interface BackedUpFile {
  name: string;
  mode: number;
  content: Buffer;
}

function readKeyFiles(dataDir: string): BackedUpFile[] {
  const files: BackedUpFile[] = [];
  for (const name of BACKED_UP_FILES) {
    const path = join(dataDir, name);
    if (!existsSync(path)) continue;
    try {
      files.push({ name, mode: statSync(path).mode & 0o777, content: readFileSync(path) });
    } catch (err) {
      throw new BackupError('--data-dir', `cannot read ${path}: ${(err as Error).message}`);
    }
  }
  return files;
}

/** The key id of the backed-up key: from the public file, else the private one; null if neither reads. */
function keyIdOfFiles(files: BackedUpFile[]): string | null {
  const text = (name: string) => files.find((f) => f.name === name)?.content.toString('utf8');
  try {
    const publicText = text(GATE_PUBLIC_KEY_FILE);
    if (publicText !== undefined) return gatePublicKeyFromText(publicText).keyId;
    const privateText = text(GATE_KEY_FILE);
    return privateText === undefined ? null : keyIdOf(createPublicKey(privateText));
  } catch {
    return null;
  }
}

function addBackupTables(db: Database, files: BackedUpFile[], info: BackupInfo): void {
  db.transaction(() => {
    db.exec(`CREATE TABLE ${BACKUP_FILES_TABLE} (name TEXT PRIMARY KEY, mode INTEGER NOT NULL, content BLOB NOT NULL)`);
    db.exec(
      `CREATE TABLE ${BACKUP_INFO_TABLE} (made_at INTEGER NOT NULL, smartgate_version TEXT NOT NULL, data_dir TEXT NOT NULL)`,
    );
    const insert = db.prepare(`INSERT INTO ${BACKUP_FILES_TABLE} (name, mode, content) VALUES (?, ?, ?)`);
    for (const file of files) insert.run(file.name, file.mode, file.content);
    db.prepare(`INSERT INTO ${BACKUP_INFO_TABLE} (made_at, smartgate_version, data_dir) VALUES (?, ?, ?)`).run(
      info.madeAt,
      info.smartgateVersion,
      info.dataDir,
    );
  })();
}

/** The files a backup carries (none for a plain copy of a store). */
export function backedUpFiles(db: Database): BackedUpFile[] {
  if (!hasTable(db, BACKUP_FILES_TABLE)) return [];
  return db
    .prepare<[], BackedUpFile>(`SELECT name, mode, content FROM ${BACKUP_FILES_TABLE} ORDER BY name`)
    .all()
    .filter((f) => (BACKED_UP_FILES as readonly string[]).includes(f.name));
}

export function backupInfo(db: Database): BackupInfo | null {
  if (!hasTable(db, BACKUP_INFO_TABLE)) return null;
  const row = db
    .prepare<[], { made_at: number; smartgate_version: string; data_dir: string }>(
      `SELECT made_at, smartgate_version, data_dir FROM ${BACKUP_INFO_TABLE} LIMIT 1`,
    )
    .get();
  return row ? { madeAt: row.made_at, smartgateVersion: row.smartgate_version, dataDir: row.data_dir } : null;
}

export function hasTable(db: Database, name: string): boolean {
  return db.prepare('SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?').get('table', name) !== undefined;
}

/** What `PRAGMA integrity_check` found wrong; empty when the database is sound. */
export function integrityProblems(db: Database): string[] {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  return rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
}

/** Counts from a store; throws when the database is not a smartgate store. */
export function summarise(db: Database): StoreSummary {
  if (!hasTable(db, 'schema_migrations') || !hasTable(db, 'events') || !hasTable(db, 'outbox'))
    throw new Error('not a smartgate store (no schema_migrations, events or outbox table)');
  const count = (sql: string) => db.prepare<[], { n: number }>(sql).get()?.n ?? 0;
  const newest = db.prepare<[], { ts: number | null }>('SELECT MAX(ts) AS ts FROM events').get();
  return {
    schemaVersion: schemaVersion(db),
    events: count('SELECT COUNT(*) AS n FROM events'),
    undelivered: count('SELECT COUNT(*) AS n FROM outbox WHERE delivered_at IS NULL'),
    newestEventAt: newest?.ts ?? null,
  };
}

/** "1 event, 0 not yet delivered", as the commands print a summary. */
export function describeCounts(summary: Pick<StoreSummary, 'events' | 'undelivered'>): string {
  return `${summary.events} event${summary.events === 1 ? '' : 's'}, ${summary.undelivered} not yet delivered`;
}

/** fsync of a file or a directory (for a rename in it to survive a power cut). */
export function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
