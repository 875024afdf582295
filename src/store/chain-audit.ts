import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkEventFields, describeFault, isHash, sha256Hex } from '../evidence/chain.js';
import {
  checkpointSignatureValid,
  parseCheckpoint,
  prunedImageSignatureValid,
  prunedRangeSignatureValid,
  type ChainHead,
  type PrunedImage,
} from '../evidence/checkpoint.js';
import type { GatePublicKey } from '../evidence/gate-key.js';
import type { Database } from './database.js';
import { chainFieldsOf, prunedRangeOf, type ChainColumns, type PrunedRow } from './chain-columns.js';

interface PrunedImageRow {
  sha256: string;
  key_id: string;
  signature: string;
}
import { GATE_LANE_ID } from '../domain/lanes.js';

/**
 * `smartgate verify`'s auditor (docs/evidence.md#smartgate-verify): re-reads a store and its frame
 * files and checks them against the evidence chain, as the gate wrote it. Reads only, in one
 * read transaction (a snapshot: the daemon may go on writing meanwhile), and stops at the first
 * thing that does not hold, saying what and where.
 */

/** Where to start: an event (its lane from it, the others from its time), or an instant. */
export type AuditStart = { eventId: string } | { since: number };

export interface AuditOptions {
  /** The data directory: frame paths are relative to it. */
  dataDir: string;
  /** The gate's public key; without it a checkpoint or pruned range cannot be checked (a fault). */
  publicKey: GatePublicKey | null;
  from?: AuditStart;
}

export interface AuditCounts {
  /** Chained events whose hashes and links were checked. */
  events: number;
  lanes: number;
  checkpoints: number;
  /** Frame files whose bytes matched their row and evidence.frame event. */
  frames: number;
  /** Plate crops whose bytes matched their crop hash. */
  crops: number;
  /** Seqs retention deleted, within signed ranges. */
  prunedEvents: number;
  /** Crops retention dropped from kept events (crop gone, hash kept). */
  prunedCrops: number;
  /** evidence.frame events whose frame retention deleted. */
  prunedFrames: number;
  /** Events recorded by a version before the chain. */
  unchainedEvents: number;
  /** Frames stored by a version before the chain (no hash). */
  unchainedFrames: number;
}

/** The first thing that did not hold, and where. */
export type AuditFault =
  | { kind: 'event'; eventId: string; laneId: string; seq: number; type: string; problem: string }
  | { kind: 'lane'; laneId: string; problem: string }
  | { kind: 'pruned'; laneId: string; fromSeq: number; toSeq: number; problem: string }
  | { kind: 'file'; path: string; eventId: string; problem: string };

export interface AuditReport {
  ok: boolean;
  counts: AuditCounts;
  /** What is not a failure but worth a look (a frame with no evidence.frame event: a crash window). */
  warnings: string[];
  fault: AuditFault | null;
}

/** The store cannot be audited as asked (an unknown --from event, a schema before the chain). */
export class ChainAuditError extends Error {
  override readonly name = 'ChainAuditError';
}

/** The schema that brought the chain (migration 7, src/store/migrations.ts). */
export const CHAIN_SCHEMA = 7;

export function auditChain(db: Database, options: AuditOptions): AuditReport {
  return new ChainAudit(db, options).run();
}

/** One line: where the fault is, then what is wrong, in plain words. */
export function describeAuditFault(fault: AuditFault): string {
  switch (fault.kind) {
    case 'event':
      return `event ${fault.eventId} (lane ${fault.laneId}, seq ${fault.seq}, ${fault.type}): ${fault.problem}`;
    case 'lane':
      return `lane ${fault.laneId}: ${fault.problem}`;
    case 'pruned':
      return `lane ${fault.laneId}, pruned seqs ${fault.fromSeq}..${fault.toSeq}: ${fault.problem}`;
    case 'file':
      return `frame file ${fault.path} (of event ${fault.eventId}): ${fault.problem}`;
  }
}

export function summariseAudit(counts: AuditCounts): string {
  const c = counts;
  return (
    `${n(c.events, 'event')} checked on ${n(c.lanes, 'lane')}, ${n(c.checkpoints, 'checkpoint')} verified, ` +
    `${n(c.frames, 'frame')}, ${n(c.crops, 'crop')}; ` +
    `pruned by retention: ${n(c.prunedEvents, 'event')}, ${n(c.prunedCrops, 'crop')}, ${n(c.prunedFrames, 'frame')}; ` +
    `unchained (older version): ${n(c.unchainedEvents, 'event')}, ${n(c.unchainedFrames, 'frame')}`
  );
}

function n(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

interface LaneRow {
  lane_id: string;
  last_seq: number;
  head_hash: string | null;
  chain_from: number;
}

interface EventRow extends ChainColumns {
  event_id: string;
  boot_id: string;
  seq: number;
  site_id: string;
  lane_id: string;
  type: string;
  ts: number;
  payload: string;
  crop: Buffer | null;
  /** 1 when central has it (outbox delivered_at set); only in a lane's walk. */
  delivered?: number | null;
}

interface FrameRow {
  event_id: string;
  path: string;
  sha256: string | null;
  lane_id: string | null;
  seq: number | null;
}

/** What an evidence.frame event says of a frame file. */
interface FrameEvidence {
  row: EventRow;
  path: unknown;
  sha256: unknown;
}

/** Thrown to stop at the first fault; caught in run(), never seen outside. */
class Found extends Error {
  constructor(readonly fault: AuditFault) {
    super(describeAuditFault(fault));
  }
}

const short = (hash: string | null) => (hash === null ? 'none' : `${hash.slice(0, 12)}…`);

class ChainAudit {
  private readonly sql;
  private readonly counts: AuditCounts = {
    events: 0,
    lanes: 0,
    checkpoints: 0,
    frames: 0,
    crops: 0,
    prunedEvents: 0,
    prunedCrops: 0,
    prunedFrames: 0,
    unchainedEvents: 0,
    unchainedFrames: 0,
  };
  private readonly warnings: string[] = [];
  private readonly lanes = new Map<string, LaneRow>();
  private readonly pruned = new Map<string, PrunedRow[]>();
  /** The first seq checked per lane; a lane absent was not checked (nothing at or after --from). */
  private readonly starts = new Map<string, number>();
  private readonly checkpoints: EventRow[] = [];
  /** The checked evidence.frame events, by the event their frame belongs to. */
  private readonly frameEvidence = new Map<string, FrameEvidence>();

  constructor(
    private readonly db: Database,
    private readonly options: AuditOptions,
  ) {
    this.sql = {
      lanes: db.prepare<[], LaneRow>('SELECT lane_id, last_seq, head_hash, chain_from FROM lane_seq ORDER BY lane_id'),
      orphanLane: db.prepare<[], { lane_id: string }>(
        'SELECT lane_id FROM events WHERE lane_id NOT IN (SELECT lane_id FROM lane_seq) LIMIT 1',
      ),
      pruned: db.prepare<[], PrunedRow>(
        'SELECT lane_id, from_seq, to_seq, last_hash, key_id, signature FROM chain_pruned ORDER BY lane_id, from_seq',
      ),
      eventById: db.prepare<[string], { lane_id: string; seq: number; ts: number }>(
        'SELECT lane_id, seq, ts FROM events WHERE event_id = ?',
      ),
      firstSince: db.prepare<[string, number], { seq: number | null }>(
        'SELECT MIN(seq) AS seq FROM events WHERE lane_id = ? AND ts >= ?',
      ),
      unchained: db.prepare<[string, number, number], { n: number }>(
        'SELECT COUNT(*) AS n FROM events WHERE lane_id = ? AND seq >= ? AND seq < ?',
      ),
      // Types that came with the chain cannot have been recorded by a version before it.
      chainedBelowStart: db.prepare<[string, number, number], EventRow>(
        `SELECT * FROM events WHERE lane_id = ? AND seq >= ? AND seq < ?
           AND (payload_hash IS NOT NULL OR crop_hash IS NOT NULL OR prev_hash IS NOT NULL OR chain_hash IS NOT NULL
             OR type IN ('chain.checkpoint', 'evidence.frame'))
         ORDER BY seq LIMIT 1`,
      ),
      laneEvents: db.prepare<[string, number], EventRow>(
        `SELECT event_id, boot_id, seq, site_id, lane_id, type, ts, payload, crop,
           payload_hash, crop_hash, prev_hash, chain_hash,
           (SELECT o.delivered_at IS NOT NULL FROM outbox o WHERE o.event_id = e.event_id) AS delivered
         FROM events e WHERE lane_id = ? AND seq >= ? ORDER BY seq`,
      ),
      eventAt: db.prepare<[string, number], { event_id: string; chain_hash: string | null }>(
        'SELECT event_id, chain_hash FROM events WHERE lane_id = ? AND seq = ?',
      ),
      frames: db.prepare<[], FrameRow>(
        `SELECT f.event_id, f.path, f.sha256, e.lane_id, e.seq FROM frames f
         LEFT JOIN events e ON e.event_id = f.event_id ORDER BY f.path`,
      ),
      undelivered: db.prepare<[string], { event_id: string }>(
        'SELECT event_id FROM outbox WHERE event_id = ? AND delivered_at IS NULL',
      ),
      frameRow: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM frames WHERE event_id = ?'),
      eventExists: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM events WHERE event_id = ?'),
      // Schema 8; a store of schema 7 has none (and no image was dropped with a record).
      prunedImage: db
        .prepare<[], { n: number }>(
          "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'images_pruned'",
        )
        .get()!.n
        ? db.prepare<[string, string], PrunedImageRow>(
            'SELECT sha256, key_id, signature FROM images_pruned WHERE event_id = ? AND kind = ?',
          )
        : { get: () => undefined },
    };
  }

  /**
   * Whether retention recorded dropping this image, with the hash the chain has for it and the
   * gate key's signature; the fault's wording when not.
   */
  private prunedImageProblem(image: PrunedImage): string | null {
    const row = this.sql.prunedImage.get(image.eventId, image.kind);
    const what = image.kind === 'crop' ? 'its plate crop is gone' : `the frame it records is gone`;
    if (!row) return `${what}, and retention recorded no such deletion: it was removed by other means`;
    if (row.sha256 !== image.sha256)
      return `${what}; retention's record of dropping it names another image (${short(row.sha256)}, the chain has ${short(image.sha256)})`;
    const key = this.options.publicKey;
    if (!key || row.key_id !== key.keyId || !prunedImageSignatureValid(image, row.signature, key.publicKey))
      return `${what}; retention's record of dropping it is not signed by the gate key: it was forged`;
    return null;
  }

  run(): AuditReport {
    try {
      const missing = this.inSnapshot(() => {
        this.readLanes();
        this.resolveStarts();
        for (const lane of this.lanes.values()) this.checkLane(lane);
        for (const row of this.checkpoints) this.checkCheckpoint(row);
        return this.checkFrames();
      });
      if (this.counts.checkpoints === 0 && this.counts.events > 0)
        this.warnings.push(
          "no signed checkpoint among the events checked: their hashes and links hold, but nothing the gate signed vouches for them (a store rewritten whole would pass); compare with central's copy",
        );
      // A frame file gone since the snapshot: retention records the dropping, deletes the file,
      // then its row; a row left with its dropping recorded is a run interrupted (or under way).
      for (const row of missing) {
        if (this.sql.frameRow.get(row.event_id)!.n === 0) this.counts.prunedFrames++;
        else if (this.prunedImageProblem({ eventId: row.event_id, kind: 'frame', sha256: row.sha256! }) === null) {
          this.counts.prunedFrames++;
          this.warnings.push(
            `frame file ${row.path} (of event ${row.event_id}) was dropped by retention, whose run did not get to its row yet (interrupted, or running now)`,
          );
        } else
          throw new Found({
            kind: 'file',
            path: row.path,
            eventId: row.event_id,
            problem: 'the file is missing, though its frames row and evidence.frame event are there',
          });
      }
    } catch (err) {
      if (err instanceof Found) return { ok: false, counts: this.counts, warnings: this.warnings, fault: err.fault };
      throw err;
    }
    return { ok: true, counts: this.counts, warnings: this.warnings, fault: null };
  }

  /**
   * One snapshot of the database for all of `read`: a daemon appending meanwhile does not tear a
   * lane's chain in the middle of reading it (WAL readers see the commit they started at).
   */
  private inSnapshot<T>(read: () => T): T {
    this.db.exec('BEGIN');
    try {
      return read();
    } finally {
      this.db.exec('COMMIT');
    }
  }

  private readLanes(): void {
    for (const lane of this.sql.lanes.all()) this.lanes.set(lane.lane_id, lane);
    const orphan = this.sql.orphanLane.get();
    if (orphan)
      throw new Found({
        kind: 'lane',
        laneId: orphan.lane_id,
        problem: 'it has events but no lane_seq row (its seq counter and chain head are gone)',
      });
    for (const range of this.sql.pruned.all()) {
      const list = this.pruned.get(range.lane_id) ?? [];
      list.push(range);
      this.pruned.set(range.lane_id, list);
    }
  }

  private resolveStarts(): void {
    const from = this.options.from;
    if (!from) {
      for (const id of this.lanes.keys()) this.starts.set(id, 1);
      return;
    }
    let since: number;
    let own: { lane_id: string; seq: number } | undefined;
    if ('eventId' in from) {
      const event = this.sql.eventById.get(from.eventId);
      if (!event) throw new ChainAuditError(`no event ${from.eventId} in the store (retention may have deleted it)`);
      since = event.ts;
      own = event;
    } else since = from.since;
    for (const id of this.lanes.keys()) {
      const seq = own?.lane_id === id ? own.seq : this.sql.firstSince.get(id, since)?.seq;
      if (seq !== null && seq !== undefined) this.starts.set(id, seq);
    }
  }

  private checkLane(lane: LaneRow): void {
    const start = this.starts.get(lane.lane_id);
    if (start === undefined) return;
    this.counts.lanes++;
    const chainFrom = lane.chain_from;
    if (start < chainFrom) {
      this.counts.unchainedEvents += this.sql.unchained.get(lane.lane_id, start, chainFrom)!.n;
      // Moving chain_from up would pass chained events off as older ones: those carry hashes.
      const chained = this.sql.chainedBelowStart.get(lane.lane_id, start, chainFrom);
      if (chained)
        throw new Found({
          ...where(chained),
          problem: `it ${chained.chain_hash === null && chained.payload_hash === null ? `is of a type that came with the chain (${chained.type})` : 'carries chain hashes'}, but lies before its lane's chain start (lane_seq.chain_from ${chainFrom}): was the start moved?`,
        });
    }
    // With --from in the middle of the chain, the first event's link is taken as given.
    const given = this.options.from !== undefined && start > chainFrom;
    let cursor = given ? start : chainFrom;
    let prev: string | null = null;
    let prevFrom = `its lane's chain begins at seq ${chainFrom}, so it should link to nothing`;
    let first = true;
    const ranges = (this.pruned.get(lane.lane_id) ?? []).filter((r) => r.to_seq >= cursor);
    let next = 0;
    /** Covers the missing seqs from `cursor` up to `before` (or to the lane's end) with the next pruned range. */
    const takeRange = (before: EventRow | null) => {
      const range = ranges[next];
      const upTo = before ? before.seq - 1 : lane.last_seq;
      if (range && range.from_seq < cursor)
        throw new Found({ ...prunedAt(range), problem: 'it overlaps events that are still in the store' });
      if (range && !before && range.from_seq > lane.last_seq)
        throw new Found({ ...prunedAt(range), problem: `it lies beyond the lane's last seq, ${lane.last_seq}` });
      if (!range || range.from_seq > cursor) {
        const end = range ? Math.min(upTo, range.from_seq - 1) : upTo;
        const gap = end === cursor ? `seq ${cursor} is` : `seqs ${cursor}..${end} are`;
        const problem = `${gap} missing, with no signed record of retention deleting them`;
        if (before) throw new Found({ ...where(before), problem: `${problem} (just before it)` });
        throw new Found({
          kind: 'lane',
          laneId: lane.lane_id,
          problem: `its last seq is ${lane.last_seq}, but ${problem}`,
        });
      }
      if (range.to_seq > upTo)
        throw new Found({
          ...prunedAt(range),
          problem: before
            ? `it covers seq ${before.seq}, which is still in the store`
            : `it goes beyond the lane's last seq, ${lane.last_seq}`,
        });
      this.checkRange(range);
      this.counts.prunedEvents += range.to_seq - range.from_seq + 1;
      prev = range.last_hash;
      prevFrom = `the pruned seqs ${range.from_seq}..${range.to_seq} before it end with`;
      cursor = range.to_seq + 1;
      next++;
    };

    for (const row of this.sql.laneEvents.iterate(lane.lane_id, cursor)) {
      while (row.seq > cursor) takeRange(row);
      const fields = chainFieldsOf(row);
      if (!fields)
        throw new Found({
          ...where(row),
          problem: `it has no chain hashes, though its lane's chain began at seq ${chainFrom}`,
        });
      let payload: unknown;
      try {
        payload = JSON.parse(row.payload);
      } catch {
        throw new Found({ ...where(row), problem: 'its payload is not JSON' });
      }
      // A crop gone with its hash kept must be retention's doing, recorded in images_pruned.
      const cropGone = row.crop === null && row.crop_hash !== null;
      const envelope = {
        eventId: row.event_id,
        bootId: row.boot_id,
        seq: row.seq,
        laneId: row.lane_id,
        type: row.type,
        ts: row.ts,
      };
      const fault = checkEventFields(envelope, payload, fields, cropGone ? undefined : row.crop);
      if (fault) throw new Found({ ...where(row), problem: describeFault(fault) });
      if (cropGone && row.delivered !== 1)
        throw new Found({
          ...where(row),
          problem: 'its plate crop is gone, but retention never drops the crop of an event central has not received',
        });
      const cropProblem =
        cropGone && this.prunedImageProblem({ eventId: row.event_id, kind: 'crop', sha256: row.crop_hash! });
      if (cropProblem) throw new Found({ ...where(row), problem: cropProblem });
      if (!(given && first) && fields.prevHash !== prev)
        throw new Found({
          ...where(row),
          problem: `its link to the previous event is broken: it links to ${short(fields.prevHash)}, but ${prevFrom}${prev === null ? '' : ` ${short(prev)}`}`,
        });
      first = false;
      this.counts.events++;
      if (cropGone) this.counts.prunedCrops++;
      else if (row.crop !== null) this.counts.crops++;
      this.collect(row, payload);
      prev = fields.chainHash;
      prevFrom = `event ${row.event_id} (seq ${row.seq}) before it has chain hash`;
      cursor = row.seq + 1;
    }
    while (next < ranges.length || cursor <= lane.last_seq) takeRange(null);
    if (cursor - 1 > lane.last_seq)
      throw new Found({
        kind: 'lane',
        laneId: lane.lane_id,
        problem: `lane_seq says its last seq is ${lane.last_seq}, but it has events up to seq ${cursor - 1}`,
      });
    if (lane.head_hash !== prev)
      throw new Found({
        kind: 'lane',
        laneId: lane.lane_id,
        problem: `lane_seq.head_hash (${short(lane.head_hash)}) is not the chain hash of the lane's last link, seq ${cursor - 1} (${short(prev)})`,
      });
  }

  private collect(row: EventRow, payload: unknown): void {
    if (typeof payload !== 'object' || payload === null) return;
    const p = payload as Record<string, unknown>;
    if (row.type === 'chain.checkpoint') this.checkpoints.push(row);
    else if (row.type === 'evidence.frame' && typeof p.eventId === 'string')
      this.frameEvidence.set(p.eventId, { row: { ...row, crop: null }, path: p.path, sha256: p.sha256 });
  }

  private checkRange(range: PrunedRow): void {
    const key = this.options.publicKey;
    const at = prunedAt(range);
    if (!isHash(range.last_hash)) throw new Found({ ...at, problem: 'its last hash is not a SHA-256 hash' });
    if (!key)
      throw new Found({ ...at, problem: 'its signature cannot be checked: no gate public key (give --public-key)' });
    if (range.key_id !== key.keyId)
      throw new Found({ ...at, problem: `it was signed by key ${range.key_id}, not by the gate key ${key.keyId}` });
    if (!prunedRangeSignatureValid(prunedRangeOf(range), range.signature, key.publicKey))
      throw new Found({
        ...at,
        problem:
          "its signature does not verify with the gate key: this record of retention's deletions was altered or forged",
      });
  }

  private checkCheckpoint(row: EventRow): void {
    const at = where(row);
    const checkpoint = parseCheckpoint(JSON.parse(row.payload) as Record<string, unknown>);
    if (!checkpoint)
      throw new Found({ ...at, problem: 'its payload is not a checkpoint (fields missing or malformed)' });
    const key = this.options.publicKey;
    if (!key)
      throw new Found({ ...at, problem: 'its signature cannot be checked: no gate public key (give --public-key)' });
    if (checkpoint.keyId !== key.keyId)
      throw new Found({ ...at, problem: `it names key ${checkpoint.keyId}, not the gate key ${key.keyId}` });
    if (!checkpointSignatureValid(checkpoint, key.publicKey))
      throw new Found({
        ...at,
        problem: 'its signature does not verify with the gate key: the checkpoint was altered',
      });
    if (checkpoint.siteId !== row.site_id)
      throw new Found({
        ...at,
        problem: `it was signed for site ${checkpoint.siteId}, but is stored as site ${row.site_id}`,
      });
    // The gate lane's signed head is the checkpoint's own place in the chain: a signed payload
    // copied from elsewhere (an older checkpoint replayed as a new one) names another place.
    const own = checkpoint.heads[GATE_LANE_ID];
    if (own ? own.seq !== row.seq - 1 || own.chainHash !== row.prev_hash : row.prev_hash !== null)
      throw new Found({
        ...at,
        problem: `its signed head of lane ${GATE_LANE_ID} is not the event before it: a signed checkpoint was copied here from another place`,
      });
    for (const [laneId, head] of Object.entries(checkpoint.heads)) this.checkHead(row, laneId, head);
    this.counts.checkpoints++;
  }

  /** A signed head still in the store must be there as signed; one beyond the lane's end means events were cut off. */
  private checkHead(row: EventRow, laneId: string, head: ChainHead): void {
    const at = where(row);
    const signed = `it signed lane ${laneId}'s head at seq ${head.seq} (${short(head.chainHash)})`;
    const lane = this.lanes.get(laneId);
    if (!lane) throw new Found({ ...at, problem: `${signed}, but the store has no such lane` });
    if (head.seq > lane.last_seq)
      throw new Found({
        ...at,
        problem: `${signed}, but the lane now ends at seq ${lane.last_seq}: its newest events were removed`,
      });
    const event = this.sql.eventAt.get(laneId, head.seq);
    if (event) {
      if (event.chain_hash !== head.chainHash)
        throw new Found({
          ...at,
          problem: `${signed}, but event ${event.event_id} there has chain hash ${short(event.chain_hash)}: lane ${laneId} was rewritten up to seq ${head.seq}`,
        });
      return;
    }
    const range = this.pruned.get(laneId)?.find((r) => r.from_seq <= head.seq && head.seq <= r.to_seq);
    if (!range)
      throw new Found({ ...at, problem: `${signed}, but that event is neither in the store nor recorded as pruned` });
    if (range.to_seq === head.seq && range.last_hash !== head.chainHash)
      throw new Found({
        ...at,
        problem: `${signed}, but the pruned seqs ${range.from_seq}..${range.to_seq} end with ${short(range.last_hash)}`,
      });
  }

  /** Checks the frame files; returns those missing, to look at again after the snapshot. */
  private checkFrames(): FrameRow[] {
    const missing: FrameRow[] = [];
    for (const row of this.sql.frames.iterate()) {
      if (row.lane_id === null || row.seq === null)
        throw new Found({
          kind: 'file',
          path: row.path,
          eventId: row.event_id,
          problem: 'its event is not in the store',
        });
      const evidence = this.frameEvidence.get(row.event_id);
      this.frameEvidence.delete(row.event_id);
      // With --from: the frames of the events checked, and those whose evidence.frame event was.
      const start = this.starts.get(row.lane_id);
      if (!evidence && (start === undefined || row.seq < start)) continue;
      if (row.sha256 === null) {
        this.counts.unchainedFrames++;
        continue;
      }
      const at = { kind: 'file' as const, path: row.path, eventId: row.event_id };
      const crashWindow = `frame file ${row.path} (of event ${row.event_id}) has no evidence.frame event: the daemon stopped, or is, between writing it and recording it`;
      const path = join(this.options.dataDir, row.path);
      if (!existsSync(path)) {
        if (evidence) missing.push(row);
        else this.warnings.push(`${crashWindow} (the file is not there)`);
        continue;
      }
      const found = sha256Hex(readFileSync(path));
      if (found !== row.sha256)
        throw new Found({
          ...at,
          problem: `its bytes do not match the hash recorded when it was written (recorded ${short(row.sha256)}, now ${short(found)})`,
        });
      if (!evidence) {
        this.warnings.push(crashWindow);
        continue;
      }
      if (evidence.sha256 !== row.sha256 || evidence.path !== row.path)
        throw new Found({
          ...at,
          problem: `its frames row does not match its evidence.frame event ${evidence.row.event_id} (which records ${typeof evidence.sha256 === 'string' ? short(evidence.sha256) : 'no hash'} at ${String(evidence.path)})`,
        });
      this.counts.frames++;
    }
    // Frames the chain recorded that are gone with their rows: retention's doing, which deletes
    // only the frames of events central has received (or of events it deleted).
    for (const [eventId, evidence] of this.frameEvidence) {
      if (this.sql.undelivered.get(eventId))
        throw new Found({
          ...where(evidence.row),
          problem: `the frame it records (${String(evidence.path)}) is gone, but retention never deletes the frame of an event central has not received (${eventId})`,
        });
      // The frame of an event retention deleted went with it; that of a kept one needs its record.
      const frameProblem =
        this.sql.eventExists.get(eventId)!.n > 0 &&
        this.prunedImageProblem({ eventId, kind: 'frame', sha256: String(evidence.sha256) });
      if (frameProblem) throw new Found({ ...where(evidence.row), problem: frameProblem });
      this.counts.prunedFrames++;
    }
    return missing;
  }
}

function where(row: EventRow) {
  return { kind: 'event' as const, eventId: row.event_id, laneId: row.lane_id, seq: row.seq, type: row.type };
}

function prunedAt(range: PrunedRow) {
  return { kind: 'pruned' as const, laneId: range.lane_id, fromSeq: range.from_seq, toSeq: range.to_seq };
}
