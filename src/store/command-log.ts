import type { Database } from './database.js';

/**
 * Ids of the commands central sent, persisted so that a command delivered again (a replay, or
 * QoS 1 redelivery after a lost PUBACK) is recognised across restarts and never executed twice.
 */
export class CommandLog {
  private readonly sql;

  constructor(db: Database) {
    this.sql = {
      insert: db.prepare<[string, number]>('INSERT OR IGNORE INTO command_ids (id, received_at) VALUES (?, ?)'),
      prune: db.prepare<[number]>('DELETE FROM command_ids WHERE received_at < ?'),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM command_ids'),
    };
  }

  /** Records `id` as received at `receivedAt`; false when it was recorded before (a replay). */
  remember(id: string, receivedAt: number): boolean {
    return this.sql.insert.run(id, receivedAt).changes === 1;
  }

  /** Forgets ids received before `before` (ms since the epoch); returns how many. */
  prune(before: number): number {
    return this.sql.prune.run(before).changes;
  }

  size(): number {
    return this.sql.count.get()!.n;
  }
}
