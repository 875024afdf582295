import { describe, expect, it } from 'vitest';
import { SITE_NOT_YET_KNOWN } from '../../src/store/store.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

// `smartgate user add` before the daemon's first run records its auth events with no site to
// name; the uplink publishes an event under its recorded site, which the gate's broker account
// may not write to, and the outbox keeps its order: one such event held up every later one.
describe('events recorded before the site was known', () => {
  const temp = useTempDirs();
  const auth = { type: 'auth' as const, laneId: 'gate', payload: { action: 'user-added', username: 'op' } };

  it("become the site's when the daemon opens the store, before anything is published", () => {
    const dir = temp.make();
    const cli = temp.open(dir, { siteId: SITE_NOT_YET_KNOWN });
    cli.events.append(auth);
    cli.close();

    const daemon = temp.open(dir, { siteId: 'mlt-kth' });
    expect(daemon.events.pending(10).map((p) => p.event.siteId)).toEqual(['mlt-kth']);
  });

  it('are left alone by a command that does not know the site either, and once delivered', () => {
    const dir = temp.make();
    const first = temp.open(dir, { siteId: SITE_NOT_YET_KNOWN });
    const delivered = first.events.append(auth);
    first.events.markDelivered([first.events.pending(10)[0]!.outboxId]);
    first.close();
    const again = temp.open(dir, { siteId: SITE_NOT_YET_KNOWN });
    again.events.append(auth);
    expect(again.events.pending(10).map((p) => p.event.siteId)).toEqual([SITE_NOT_YET_KNOWN]);
    again.close();

    const daemon = temp.open(dir, { siteId: 'mlt-kth' });
    expect(daemon.events.pending(10).map((p) => p.event.siteId)).toEqual(['mlt-kth']);
    const stored = daemon.db
      .prepare<[string], { site_id: string }>('SELECT site_id FROM events WHERE event_id = ?')
      .get(delivered.eventId);
    expect(stored?.site_id).toBe(SITE_NOT_YET_KNOWN);
  });
});
