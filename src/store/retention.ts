import { readdir, rmdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { Database } from './database.js';
import { measureDiskUsage, type DiskUsage } from './disk-usage.js';
import { FRAMES_DIR, TEMP_MARK } from './frame-files.js';
import type { ChainPruning, DeletedLink } from './chain-pruning.js';
import type { PrunedRange } from '../evidence/checkpoint.js';

export interface RetentionPolicy {
  /** Delivered events older than this are deleted with their images. */
  retentionDays: number;
  /** The database and frame files together may use this much; delivered data goes to make room. */
  quotaBytes: number;
}

export interface DeletedCounts {
  /** Frame files (and their `frames` rows). */
  frames: number;
  /** Crop BLOBs dropped from events that are kept. */
  crops: number;
  /** Events, with their outbox rows. */
  events: number;
}

/**
 * `quota-enforced`: delivered data younger than retentionDays was deleted to stay in quota.
 * `quota-exceeded`: still over quota with nothing left that may be deleted (all that remains
 * is undelivered), so the disk will fill unless central is reached or the quota raised.
 */
export type RetentionAlarm = 'quota-enforced' | 'quota-exceeded';

export interface RetentionResult {
  byAge: DeletedCounts;
  byQuota: DeletedCounts;
  /** After this run's deletions. */
  usage: DiskUsage;
  quotaBytes: number;
  quotaExceeded: boolean;
  alarm: RetentionAlarm | null;
  /** The chain's pruned ranges this run wrote or grew, as they now stand (docs/evidence.md#retention). */
  pruned: PrunedRange[];
}

const DAY_MS = 86_400_000;
const BATCH = 500;
/** What an event row costs beyond its payload text (ids, columns, index entries); an estimate. */
const EVENT_ROW_OVERHEAD = 200;
/** Bounds the measure-and-delete loop when estimates of freed bytes fall short. */
const MAX_QUOTA_PASSES = 20;
/** Empty date directories at least this old are removed; younger ones may be written to. */
const EMPTY_DIR_MIN_AGE_MS = 2 * DAY_MS;

interface Candidate {
  event_id: string;
  path: string | null;
  bytes: number;
}

/**
 * The deletion rules, one run at a time (RetentionService runs them periodically). Only
 * delivered events and their images are ever deleted; by quota, oldest first, frame files
 * before crops before event rows. The `events_keep_undelivered` trigger backs this up.
 */
export class Retention {
  private readonly sql;
  private sweptTempFiles = false;
  /** This run's pruned ranges by lane and first seq: a range grown twice in a run is reported once. */
  private pruned = new Map<string, PrunedRange>();

  constructor(
    private readonly db: Database,
    private readonly dataDir: string,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly policy: RetentionPolicy,
    /** Keeps the chain verifiable across the events deleted (signed ranges). */
    private readonly pruning: ChainPruning,
  ) {
    const delivered = 'JOIN outbox o ON o.event_id = e.event_id AND o.delivered_at IS NOT NULL';
    this.sql = {
      expired: db.prepare<[number, number], Candidate>(
        `SELECT e.event_id, f.path, COALESCE(f.bytes, 0) AS bytes FROM events e ${delivered}
         LEFT JOIN frames f ON f.event_id = e.event_id WHERE e.ts < ? ORDER BY e.ts LIMIT ?`,
      ),
      oldestFrames: db.prepare<[number], Candidate>(
        `SELECT e.event_id, f.path, f.bytes FROM frames f JOIN events e ON e.event_id = f.event_id ${delivered}
         ORDER BY o.outbox_id LIMIT ?`,
      ),
      oldestCrops: db.prepare<[number], Candidate>(
        `SELECT e.event_id, NULL AS path, length(e.crop) AS bytes FROM events e ${delivered}
         WHERE e.crop IS NOT NULL ORDER BY o.outbox_id LIMIT ?`,
      ),
      oldestEvents: db.prepare<[number], Candidate>(
        `SELECT e.event_id, NULL AS path, length(e.payload) + ${EVENT_ROW_OVERHEAD} AS bytes FROM events e ${delivered}
         WHERE NOT EXISTS (SELECT 1 FROM frames f WHERE f.event_id = e.event_id) ORDER BY o.outbox_id LIMIT ?`,
      ),
      frameHash: db.prepare<[string], { sha256: string | null }>('SELECT sha256 FROM frames WHERE event_id = ?'),
      deleteFrame: db.prepare<[string]>('DELETE FROM frames WHERE event_id = ?'),
      dropCrop: db.prepare<[string], { crop_hash: string | null }>(
        'UPDATE events SET crop = NULL WHERE event_id = ? RETURNING crop_hash',
      ),
      deleteEvent: db.prepare<[string], DeletedLink>(
        'DELETE FROM events WHERE event_id = ? RETURNING lane_id, seq, chain_hash',
      ),
    };
  }

  async run(): Promise<RetentionResult> {
    this.pruned = new Map();
    await this.sweepTempFilesOnce();
    const touchedDirs = new Set<string>();
    const byAge = await this.deleteExpired(touchedDirs);
    const { byQuota, usage, quotaExceeded } = await this.enforceQuota(touchedDirs);
    await this.removeEmptyDateDirs(touchedDirs);
    const enforced = byQuota.frames + byQuota.crops + byQuota.events > 0;
    const alarm = quotaExceeded ? 'quota-exceeded' : enforced ? 'quota-enforced' : null;
    const pruned = [...this.pruned.values()];
    return { byAge, byQuota, usage, quotaBytes: this.policy.quotaBytes, quotaExceeded, alarm, pruned };
  }

  private async deleteExpired(touchedDirs: Set<string>): Promise<DeletedCounts> {
    const counts = { frames: 0, crops: 0, events: 0 };
    const cutoff = this.clock.now() - this.policy.retentionDays * DAY_MS;
    for (;;) {
      const batch = this.sql.expired.all(cutoff, BATCH);
      counts.frames += await this.deleteFrameFiles(batch, touchedDirs);
      this.deleteEvents(batch);
      counts.events += batch.length;
      if (batch.length < BATCH) return counts;
    }
  }

  private async enforceQuota(
    touchedDirs: Set<string>,
  ): Promise<{ byQuota: DeletedCounts; usage: DiskUsage; quotaExceeded: boolean }> {
    const byQuota = { frames: 0, crops: 0, events: 0 };
    let usage = measureDiskUsage(this.db);
    for (let pass = 0; pass < MAX_QUOTA_PASSES && usage.totalBytes > this.policy.quotaBytes; pass++) {
      const excess = usage.totalBytes - this.policy.quotaBytes;
      let freed = 0;
      // Images first (frame files, then crops), event rows last.
      const frames = await this.takeOldest(this.sql.oldestFrames, excess, async (batch) => {
        await this.deleteFrameFiles(batch, touchedDirs);
      });
      freed += frames.bytes;
      const crops =
        freed < excess
          ? await this.takeOldest(this.sql.oldestCrops, excess - freed, (batch) => this.dropCrops(batch))
          : NONE;
      freed += crops.bytes;
      const events =
        freed < excess
          ? await this.takeOldest(this.sql.oldestEvents, excess - freed, (batch) => this.deleteEvents(batch))
          : NONE;
      byQuota.frames += frames.count;
      byQuota.crops += crops.count;
      byQuota.events += events.count;
      usage = measureDiskUsage(this.db);
      if (frames.count + crops.count + events.count === 0) break; // nothing deletable is left
    }
    return { byQuota, usage, quotaExceeded: usage.totalBytes > this.policy.quotaBytes };
  }

  /** Deletes candidates oldest first, in batches, until their estimated size reaches `bytes`. */
  private async takeOldest(
    query: { all(limit: number): Candidate[] },
    bytes: number,
    remove: (batch: Candidate[]) => Promise<void> | void,
  ): Promise<{ count: number; bytes: number }> {
    let count = 0;
    let freed = 0;
    for (;;) {
      const candidates = query.all(BATCH);
      const batch: Candidate[] = [];
      for (const c of candidates) {
        if (freed >= bytes) break;
        batch.push(c);
        freed += c.bytes;
      }
      await remove(batch);
      count += batch.length;
      if (freed >= bytes || candidates.length < BATCH) return { count, bytes: freed };
    }
  }

  /** Deletes the events and, in the same transaction, records the chain's signed ranges over them. */
  private deleteEvents(batch: Candidate[]): void {
    this.db.transaction(() => {
      const deleted = batch.flatMap((c) => this.sql.deleteEvent.all(c.event_id));
      for (const range of this.pruning.record(deleted)) {
        // A range merged into an earlier one of this run replaces it (same lane, lower start).
        for (const [key, seen] of this.pruned)
          if (seen.laneId === range.laneId && seen.fromSeq >= range.fromSeq && seen.toSeq <= range.toSeq)
            this.pruned.delete(key);
        this.pruned.set(`${range.laneId}\u0000${range.fromSeq}`, range);
      }
    })();
  }

  /** Drops the crops of kept events, recording each (signed) so the chain tells it from a deletion by hand. */
  private dropCrops(batch: Candidate[]): void {
    this.db.transaction(() => {
      for (const c of batch)
        for (const { crop_hash } of this.sql.dropCrop.all(c.event_id))
          this.pruning.recordImage({ eventId: c.event_id, kind: 'crop', sha256: crop_hash });
    })();
  }

  /**
   * Records the candidates' frames as dropped (signed), unlinks their files, then deletes their
   * rows; returns how many frames there were. In this order a crash part-way leaves rows whose
   * files are gone but whose dropping is recorded (verify accepts them; the next run clears the
   * rows), never a file the database does not know.
   */
  private async deleteFrameFiles(batch: Candidate[], touchedDirs: Set<string>): Promise<number> {
    const withFrames = batch.filter((c): c is Candidate & { path: string } => c.path !== null);
    this.db.transaction(() => {
      for (const c of withFrames)
        for (const { sha256 } of this.sql.frameHash.all(c.event_id))
          this.pruning.recordImage({ eventId: c.event_id, kind: 'frame', sha256 });
    })();
    for (const { path } of withFrames) {
      const absolute = join(this.dataDir, path);
      await unlinkIfPresent(absolute);
      touchedDirs.add(dirname(absolute));
    }
    this.db.transaction(() => withFrames.forEach((c) => this.sql.deleteFrame.run(c.event_id)))();
    return withFrames.length;
  }

  private async removeEmptyDateDirs(dirs: Set<string>): Promise<void> {
    const newest = new Date(this.clock.now() - EMPTY_DIR_MIN_AGE_MS).toISOString().slice(0, 10);
    for (const dir of dirs) {
      const date = dir.slice(-10);
      if (date >= newest) continue;
      await rmdir(dir).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOTEMPTY' && err.code !== 'ENOENT') throw err;
      });
    }
  }

  /** Temp files are left only by a crash mid-write (see writeFileDurably); once per process. */
  private async sweepTempFilesOnce(): Promise<void> {
    if (this.sweptTempFiles) return;
    this.sweptTempFiles = true;
    const root = join(this.dataDir, FRAMES_DIR);
    for (const day of await readdir(root).catch(() => [] as string[])) {
      for (const name of await readdir(join(root, day)).catch(() => [] as string[])) {
        if (name.includes(TEMP_MARK)) await unlinkIfPresent(join(root, day, name));
      }
    }
  }
}

const NONE = { count: 0, bytes: 0 };

async function unlinkIfPresent(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
