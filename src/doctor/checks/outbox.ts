import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openDatabaseReadOnly } from '../../store/database.js';
import { DATABASE_FILE } from '../../store/store.js';
import { fail, ok, warn, type Check } from '../types.js';

const WARN_AFTER_MS = 15 * 60_000;
const FAIL_AFTER_MS = 24 * 3600_000;

/**
 * How long the oldest event not yet delivered to central has waited, read beside the running
 * daemon without a lock. Minutes are a link's hiccup; hours mean central is not hearing this gate.
 */
export function outboxCheck(): Check {
  const name = 'outbox';
  return {
    name,
    timeoutMs: 10_000,
    async run({ config }) {
      const path = join(resolve(config.dataDir), DATABASE_FILE);
      if (!existsSync(path)) return ok(name, `no store yet at ${path} (the daemon makes it at first start)`);
      const db = openDatabaseReadOnly(path, { busyTimeoutMs: 5000 });
      let row: { ts: number | null; n: number };
      try {
        // As EventStore.oldestPendingTs, with the count.
        row = db
          .prepare<[], { ts: number | null; n: number }>(
            'SELECT MIN(e.ts) AS ts, COUNT(*) AS n FROM outbox o JOIN events e ON e.event_id = o.event_id WHERE o.delivered_at IS NULL',
          )
          .get()!;
      } finally {
        db.close();
      }
      if (row.ts === null) return ok(name, 'every event delivered to central');
      const ageMs = Date.now() - row.ts;
      const detail = `${row.n} event${row.n === 1 ? '' : 's'} not yet delivered, the oldest from ${new Date(row.ts).toISOString()} (${age(ageMs)} ago)`;
      if (!config.mqtt?.url) return ok(name, `${detail}; no uplink configured`);
      const fix =
        'see the broker check above and the daemon log (journalctl -u smartgate); the events are kept until delivered';
      if (ageMs >= FAIL_AFTER_MS) return fail(name, detail, fix);
      if (ageMs >= WARN_AFTER_MS) return warn(name, detail, fix);
      return ok(name, detail);
    },
  };
}

function age(ms: number): string {
  if (ms < 90_000) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (ms < 90 * 60_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 48 * 3600_000) return `${(ms / 3600_000).toFixed(1)} h`;
  return `${Math.round(ms / 86_400_000)} days`;
}
