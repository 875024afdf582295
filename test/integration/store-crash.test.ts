import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/store-fixtures.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = `${root}test/helpers/store-crash-child.mjs`;
/** Committed appends the child must report before it is killed. */
const KILL_AFTER = 300;

/** The child runs the built store: refuse a missing or stale build rather than test old code. */
function requireFreshBuild(): void {
  const srcDir = `${root}src/store/`;
  for (const name of readdirSync(srcDir).filter((n) => n.endsWith('.ts'))) {
    const built = `${root}dist/store/${name.replace(/\.ts$/, '.js')}`;
    if (!existsSync(built)) throw new Error(`${built} is missing: run npm run build (npm test does)`);
    if (statSync(built).mtimeMs < statSync(srcDir + name).mtimeMs)
      throw new Error(`${built} is older than src/store/${name}: run npm run build`);
  }
}

/** Runs the child until it has reported `KILL_AFTER` commits, SIGKILLs it, returns the last count it reported. */
function appendUntilKilled(
  dataDir: string,
  synchronous: 'FULL' | 'NORMAL',
): Promise<{ reported: number; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dataDir, synchronous], { stdio: ['pipe', 'pipe', 'pipe'] });
    let reported = 0;
    let partial = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop()!; // only whole lines are commits the child finished reporting
      if (lines.length > 0) reported = Number(lines.at(-1));
      if (reported >= KILL_AFTER) child.kill('SIGKILL');
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL')
        reject(new Error(`the child ended by itself (code ${code}) after ${reported} appends: ${stderr}`));
      else resolve({ reported, signal });
    });
  });
}

describe('store after a crash (SIGKILL mid-append)', () => {
  const temp = useTempDirs();

  it.each(['FULL', 'NORMAL'] as const)(
    'is consistent and has every reported event (synchronous=%s)',
    async (synchronous) => {
      requireFreshBuild();
      const dir = temp.make();
      const { reported } = await appendUntilKilled(dir, synchronous);
      expect(reported).toBeGreaterThanOrEqual(KILL_AFTER);

      const store = temp.open(dir, {
        config: { synchronous, retentionDays: 90, quotaMb: 10240, retentionIntervalMs: 3_600_000 },
      });
      const db = store.db;
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);

      const events = db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
      expect(events).toBeGreaterThanOrEqual(reported);
      // Every event has its outbox row (and the reverse, by the foreign key checked above).
      expect(
        db
          .prepare(
            'SELECT COUNT(*) FROM events e LEFT JOIN outbox o ON o.event_id = e.event_id WHERE o.outbox_id IS NULL',
          )
          .pluck()
          .get(),
      ).toBe(0);
      expect(db.prepare('SELECT COUNT(*) FROM outbox').pluck().get()).toBe(events);

      // Seq per lane runs 1..n with no gap, and lane_seq agrees, so the next one follows on.
      const lanes = db
        .prepare(
          'SELECT e.lane_id AS lane, COUNT(*) AS n, MIN(seq) AS lo, MAX(seq) AS hi, s.last_seq AS last FROM events e JOIN lane_seq s USING (lane_id) GROUP BY e.lane_id ORDER BY e.lane_id',
        )
        .all() as { lane: string; n: number; lo: number; hi: number; last: number }[];
      expect(lanes.map((l) => l.lane)).toEqual(['entry-1', 'entry-2', 'exit-1']);
      for (const lane of lanes) expect(lane, lane.lane).toEqual({ ...lane, lo: 1, hi: lane.n, last: lane.n });
      // The child appended lanes round-robin, so the payloads 0..events-1 are all there, once.
      const ns = db
        .prepare("SELECT json_extract(payload, '$.n') FROM events ORDER BY json_extract(payload, '$.n')")
        .pluck()
        .all();
      expect(ns).toEqual(Array.from({ length: events }, (_, i) => i));

      // Delivered marks survived too, and the store carries on under a new boot.
      expect(store.events.pendingCount()).toBeLessThan(events);
      const bootIds = db.prepare('SELECT DISTINCT boot_id FROM events').pluck().all();
      expect(bootIds).toHaveLength(1);
      const next = store.events.append({ type: 'plate.read', laneId: 'entry-1', payload: {} });
      expect(next.seq).toBe(lanes[0]!.n + 1);
      expect(next.bootId).not.toBe(bootIds[0]);
    },
  );
});
