import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Clock } from '../core/clock.js';
import { sha256Hex } from '../evidence/chain.js';
import type { Database } from './database.js';
import type { EventSink } from './types.js';

export const FRAMES_DIR = 'frames';
/** Suffix of a frame being written; one left behind by a crash is never a finished frame. */
export const TEMP_MARK = '.tmp-';

export interface FrameRecord {
  eventId: string;
  /** Relative to the data directory, with forward slashes: `frames/2026-01-01/<eventId>.jpg`. */
  path: string;
  bytes: number;
  createdAt: number;
  /** SHA-256 (hex) of the file's bytes; null for frames stored by a version before the chain. */
  sha256: string | null;
}

interface FrameRow {
  event_id: string;
  path: string;
  bytes: number;
  created_at: number;
  sha256: string | null;
}

/**
 * Full-frame JPEGs of events, one file per event under `frames/YYYY-MM-DD/` (UTC date of the
 * event), recorded in the `frames` table. The row is written before the file, so every file
 * is known to the database (retention and the quota find it); a crash part-way leaves at most
 * a row whose file is missing, or a temp file, both of which retention clears. Once the file is
 * on disk an `evidence.frame` event carries its hash into the lane's evidence chain.
 */
export class FrameFiles {
  private readonly sql;

  constructor(
    db: Database,
    private readonly dataDir: string,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly sink: EventSink,
  ) {
    this.sql = {
      insert: db.prepare(
        `INSERT INTO frames (event_id, path, bytes, created_at, sha256)
         VALUES (@eventId, @path, @bytes, @createdAt, @sha256)`,
      ),
      remove: db.prepare<[string]>('DELETE FROM frames WHERE event_id = ?'),
      get: db.prepare<[string], FrameRow>(
        'SELECT event_id, path, bytes, created_at, sha256 FROM frames WHERE event_id = ?',
      ),
      event: db.prepare<[string], { ts: number; lane_id: string }>('SELECT ts, lane_id FROM events WHERE event_id = ?'),
    };
  }

  /** Writes the frame of a recorded event atomically and durably; resolves once it is on disk. */
  async write(eventId: string, jpeg: Buffer): Promise<FrameRecord> {
    const event = this.sql.event.get(eventId);
    if (!event) throw new Error(`cannot store a frame for event ${eventId}: no such event`);
    const existing = this.get(eventId);
    if (existing) throw new Error(`cannot store a frame for event ${eventId}: it already has one (${existing.path})`);
    const record: FrameRecord = {
      eventId,
      path: framePath(eventId, event.ts),
      bytes: jpeg.length,
      createdAt: this.clock.now(),
      sha256: sha256Hex(jpeg),
    };
    this.sql.insert.run(record);
    try {
      await writeFileDurably(join(this.dataDir, record.path), jpeg);
    } catch (err) {
      this.sql.remove.run(eventId);
      throw new Error(`cannot write the frame of event ${eventId} to ${record.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.sink.append({
      type: 'evidence.frame',
      laneId: event.lane_id,
      payload: { eventId, path: record.path, bytes: record.bytes, sha256: record.sha256 },
    });
    return record;
  }

  get(eventId: string): FrameRecord | undefined {
    const row = this.sql.get.get(eventId);
    return (
      row && { eventId: row.event_id, path: row.path, bytes: row.bytes, createdAt: row.created_at, sha256: row.sha256 }
    );
  }

  absolutePath(record: FrameRecord): string {
    return join(this.dataDir, record.path);
  }
}

/** `frames/YYYY-MM-DD/<eventId>.jpg`, dated by the event's UTC day. */
export function framePath(eventId: string, ts: number): string {
  return `${FRAMES_DIR}/${new Date(ts).toISOString().slice(0, 10)}/${eventId}.jpg`;
}

/**
 * Temp file, fsync, rename, fsync of the directory: after a crash the file is either absent
 * or complete, never truncated, and a completed rename survives a power cut.
 */
export async function writeFileDurably(target: string, data: Buffer): Promise<void> {
  const path = resolve(target);
  const dir = dirname(path);
  const created = await mkdir(dir, { recursive: true });
  if (created !== undefined) {
    // Each directory that gained an entry (a new date directory, perhaps frames/ itself) is
    // synced, or the new path could vanish in a power cut.
    for (let d = dir; d !== dirname(created); d = dirname(d)) await syncDir(dirname(d));
  }
  const temp = `${path}${TEMP_MARK}${randomBytes(4).toString('hex')}`;
  try {
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
