import { statSync } from 'node:fs';
import type { Database } from './database.js';

export interface DiskUsage {
  /** The database file and its WAL. */
  databaseBytes: number;
  /** The frame files, as recorded in `frames`. */
  framesBytes: number;
  totalBytes: number;
}

/**
 * What the store occupies on disk. Freed pages are first handed back to the file system
 * (incremental vacuum, then a checkpoint that empties the WAL), so deleting crops and events
 * shows up as a smaller database file rather than as free space inside it.
 */
export function measureDiskUsage(db: Database): DiskUsage {
  db.pragma('incremental_vacuum');
  db.pragma('wal_checkpoint(TRUNCATE)');
  const databaseBytes = fileSize(db.name) + fileSize(`${db.name}-wal`);
  const framesBytes = (db.prepare('SELECT COALESCE(SUM(bytes), 0) AS n FROM frames').get() as { n: number }).n;
  return { databaseBytes, framesBytes, totalBytes: databaseBytes + framesBytes };
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}
