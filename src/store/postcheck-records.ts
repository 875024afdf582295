import type { Database } from './database.js';

/** What a post-check flags a passage for (src/domain/declarations.ts), as stored. */
export interface StoredFlag {
  kind: string;
  detail: string;
}

/** A vehicle that passed a lane deciding on fee declarations, as `postcheck_passages` keeps it. */
export interface PassageRecord {
  /** The lane's `vehicle` event of the passage. */
  passageId: string;
  decisionId: string | null;
  laneId: string;
  plate: string | null;
  passedAt: number;
  /** The site's local date of the passage, YYYY-MM-DD. */
  day: string;
  status: 'declared' | 'undeclared';
  declarationId: string | null;
  flags: StoredFlag[];
  /** The `postcheck.flagged` event, when the passage was flagged. */
  flagEventId: string | null;
  confidence: number | null;
  votes: number | null;
}

interface PassageRow {
  passage_id: string;
  decision_id: string | null;
  lane_id: string;
  plate: string | null;
  passed_at: number;
  day: string;
  status: 'declared' | 'undeclared';
  declaration_id: string | null;
  flags: string;
  flag_event_id: string | null;
  confidence: number | null;
  votes: number | null;
}

/**
 * The post-check's ledger (src/postcheck): one row per passage on a lane with declarations on,
 * written in the transaction of its record. It says how many passages used each declaration
 * (a one-passage declaration is used up by the first), and it is what a day's reconciliation
 * reads — also from `smartgate reconcile`, on a read-only connection while the daemon runs.
 */
export class PostcheckRecords {
  private readonly sql;

  constructor(db: Database) {
    this.sql = {
      insert: db.prepare(
        `INSERT INTO postcheck_passages
           (passage_id, decision_id, lane_id, plate, passed_at, day, status, declaration_id, flags, flag_event_id, confidence, votes)
         VALUES (@passage_id, @decision_id, @lane_id, @plate, @passed_at, @day, @status, @declaration_id, @flags, @flag_event_id, @confidence, @votes)`,
      ),
      uses: db.prepare<[], { declaration_id: string; n: number }>(
        'SELECT declaration_id, COUNT(*) AS n FROM postcheck_passages WHERE declaration_id IS NOT NULL GROUP BY declaration_id',
      ),
      day: db.prepare<[string], PassageRow>(
        'SELECT * FROM postcheck_passages WHERE day = ? ORDER BY passed_at, passage_id',
      ),
      usesOf: db.prepare<[string], PassageRow>(
        'SELECT * FROM postcheck_passages WHERE declaration_id = ? ORDER BY passed_at, passage_id',
      ),
      prune: db.prepare<[number]>('DELETE FROM postcheck_passages WHERE passed_at < ?'),
      meta: db.prepare<[string], { value: string }>('SELECT value FROM site_meta WHERE key = ?'),
      setMeta: db.prepare<[string, string]>(
        'INSERT INTO site_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
    };
  }

  add(p: PassageRecord): void {
    this.sql.insert.run({
      passage_id: p.passageId,
      decision_id: p.decisionId,
      lane_id: p.laneId,
      plate: p.plate,
      passed_at: p.passedAt,
      day: p.day,
      status: p.status,
      declaration_id: p.declarationId,
      flags: JSON.stringify(p.flags),
      flag_event_id: p.flagEventId,
      confidence: p.confidence,
      votes: p.votes,
    });
  }

  /** How many passages used each declaration. */
  uses(): Map<string, number> {
    return new Map(this.sql.uses.all().map((r) => [r.declaration_id, r.n]));
  }

  /** The passages of one local day, in order. */
  passagesOf(day: string): PassageRecord[] {
    return this.sql.day.all(day).map(fromRow);
  }

  /** Every passage that used a declaration, in order (for "used twice", across days). */
  passagesUsing(declarationId: string): PassageRecord[] {
    return this.sql.usesOf.all(declarationId).map(fromRow);
  }

  /** Forgets passages before `before` (ms); returns how many. */
  prune(before: number): number {
    return this.sql.prune.run(before).changes;
  }

  /** The site's time zone, as the daemon last recorded it (null before any daemon ran on this store). */
  timeZone(): string | null {
    return this.sql.meta.get('timeZone')?.value ?? null;
  }

  setTimeZone(timeZone: string): void {
    this.sql.setMeta.run('timeZone', timeZone);
  }
}

function fromRow(r: PassageRow): PassageRecord {
  return {
    passageId: r.passage_id,
    decisionId: r.decision_id,
    laneId: r.lane_id,
    plate: r.plate,
    passedAt: r.passed_at,
    day: r.day,
    status: r.status,
    declarationId: r.declaration_id,
    flags: JSON.parse(r.flags) as StoredFlag[],
    flagEventId: r.flag_event_id,
    confidence: r.confidence,
    votes: r.votes,
  };
}
