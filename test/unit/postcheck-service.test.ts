import { afterEach, describe, expect, it } from 'vitest';
import { laneDecisionsSchema } from '../../src/config/decisions.js';
import { EventBus } from '../../src/core/bus.js';
import { silentLogger } from '../../src/core/log.js';
import type { DeclarationMode } from '../../src/domain/declarations.js';
import type { GateEvents } from '../../src/gate/build-gate.js';
import { LaneDecider } from '../../src/lane/deciding/decider.js';
import { dayReport } from '../../src/postcheck/day-report.js';
import { PostcheckService } from '../../src/postcheck/postcheck-service.js';
import type { StoredEvent } from '../../src/store/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { useTempDirs } from '../helpers/store-fixtures.js';
import { voted } from '../helpers/voted.js';

// The post-check over a real store, with the real decider reading the declarations and the ledger.

const HOUR = 3_600_000;
const CROP = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
const temp = useTempDirs();
const running: PostcheckService[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

async function setUp(
  mode: DeclarationMode = 'post-check',
  dir = temp.make(),
  clock = new FakeClock(Date.UTC(2026, 11, 4, 2, 0)),
) {
  const store = temp.open(dir, {}, clock);
  const now = clock.now();
  store.lists.applyFull('allow', 1, []);
  store.lists.applyFull('deny', 1, []);
  store.lists.applyFull('watch', 1, []);
  store.lists.applyFull('declarations', 1, [
    {
      key: 'DEC-ONE',
      plate: '29C12345',
      vehicleClass: 'car',
      validUntil: now + 24 * HOUR,
      passages: 'one',
      amount: 150_000,
      feeRef: 'VNPAY-1',
      declaredAt: now - HOUR,
    },
  ]);
  const bus = new EventBus<GateEvents>(silentLogger);
  const service = new PostcheckService(
    { bus, log: silentLogger, clock },
    { sink: store.events, records: store.postcheck },
    { modes: new Map([['in-1', mode]]), timeZone: 'Asia/Ho_Chi_Minh', retentionDays: 90 },
  );
  running.push(service);
  await service.start();
  const decider = new LaneDecider(
    { bus, log: silentLogger, clock },
    { sink: store.events, lists: store.lists, declarationUses: (id) => service.usesOf(id) },
  );
  const rules = laneDecisionsSchema.parse({ declarations: mode });
  const decide = (plate: string) =>
    decider.decide({ id: 'in-1', direction: 'entry', rules }, voted(plate, { votes: 4, reads: 4, crop: CROP }));
  const pass = (decisionId: string | null, plate: string | null) => {
    const event = store.events.append({
      type: 'vehicle',
      laneId: 'in-1',
      payload: { outcome: 'passed', plate, decisionId, holdId: null, durationMs: 900 },
    });
    bus.emit('lane.recorded', { laneId: 'in-1', event });
    return event;
  };
  const events = (type: string): StoredEvent[] =>
    store.db
      .prepare<[string], { event_id: string }>('SELECT event_id FROM events WHERE type = ? ORDER BY rowid')
      .all(type)
      .map((r) => store.events.get(r.event_id)!.event);
  return { clock, store, service, decide, pass, events };
}

describe('PostcheckService', () => {
  it('lets a declared vehicle flow, uses a one-passage declaration at the passage (not the read), and flags the second passage', async () => {
    const { decide, pass, events, store } = await setUp();
    const first = decide('29C12345');
    expect(first.decision).toMatchObject({ action: 'open', reason: 'declared' });
    // Read again before passing (a second vote, another lane): the declaration is not used yet.
    expect(decide('29C12345').decision.reason).toBe('declared');
    const passed = pass(first.event.eventId, '29C12345');
    expect(events('postcheck.flagged')).toEqual([]);
    const again = decide('29C12345');
    expect(again.decision).toMatchObject({
      action: 'open',
      reason: 'undeclared',
      postcheck: [{ kind: 'declaration-used' }],
    });
    const second = pass(again.event.eventId, '29C12345');
    const [flagged] = events('postcheck.flagged');
    expect(flagged).toMatchObject({
      laneId: 'in-1',
      hasCrop: true,
      payload: {
        passageId: second.eventId,
        decisionId: again.event.eventId,
        plate: '29C12345',
        status: 'undeclared',
        declarationId: 'DEC-ONE',
        flags: [{ kind: 'declaration-used' }],
        confidence: 0.95,
        votes: 4,
        day: '2026-12-04',
      },
    });
    expect(store.events.getCrop(flagged!.eventId)).toEqual(CROP);
    const report = dayReport(store.db, '2026-12-04', 'Asia/Ho_Chi_Minh', Date.UTC(2026, 11, 4, 12, 0));
    expect(report.totals).toMatchObject({
      passages: 2,
      declared: 1,
      undeclared: 1,
      flagged: 1,
      declarationsUsedTwice: 1,
    });
    expect(report.usedTwice[0]!.passages.map((p) => p.passageId)).toEqual([passed.eventId, second.eventId]);
  });

  it('flags an undeclared vehicle it let through, with its evidence', async () => {
    const { decide, pass, events } = await setUp();
    const d = decide('30A11111');
    expect(d.decision).toMatchObject({ action: 'open', reason: 'undeclared' });
    const p = pass(d.event.eventId, '30A11111');
    expect(events('postcheck.flagged').map((e) => e.payload)).toMatchObject([
      { passageId: p.eventId, plate: '30A11111', status: 'undeclared', flags: [{ kind: 'undeclared' }] },
    ]);
  });

  it('keeps the uses across a restart between the passage and the next read', async () => {
    const dir = temp.make();
    const clock = new FakeClock(Date.UTC(2026, 11, 4, 2, 0));
    const before = await setUp('required', dir, clock);
    before.pass(before.decide('29C12345').event.eventId, '29C12345');
    await before.service.stop();
    before.store.close();
    const after = await setUp('required', dir, clock);
    expect(after.decide('29C12345').decision).toMatchObject({ action: 'hold', reason: 'declaration-used' });
  });

  it("puts a passage in the site's local day: 23:59 and 00:00 in Hà Nội are two days", async () => {
    const clock = new FakeClock(Date.UTC(2026, 11, 4, 16, 59, 0)); // 23:59 in Hà Nội
    const { decide, pass, store } = await setUp('post-check', temp.make(), clock);
    pass(decide('30A11111').event.eventId, '30A11111');
    clock.advance(60_000); // 00:00 the next day
    pass(decide('30A22222').event.eventId, '30A22222');
    expect(store.postcheck.passagesOf('2026-12-04').map((p) => p.plate)).toEqual(['30A11111']);
    expect(store.postcheck.passagesOf('2026-12-05').map((p) => p.plate)).toEqual(['30A22222']);
  });

  it('flags a barrier opened by hand for a vehicle it never decided on', async () => {
    const { pass, events } = await setUp();
    pass(null, null);
    expect(events('postcheck.flagged')[0]!.payload).toMatchObject({
      decisionId: null,
      flags: [{ kind: 'undeclared' }],
    });
  });

  it('lets a passage the store cannot record go, logs it, and still counts the use', async () => {
    const { decide, pass, events, store, service } = await setUp('required');
    store.db.exec('DROP TABLE postcheck_passages');
    expect(() => pass(decide('29C12345').event.eventId, '29C12345')).not.toThrow();
    expect(service.stats()).toMatchObject({ passages: 1, notRecorded: 1 });
    expect(events('postcheck.flagged')).toEqual([]);
    // The declaration was used on the road, recorded or not: it is not good for a second passage.
    expect(decide('29C12345').decision).toMatchObject({ action: 'hold', reason: 'declaration-used' });
  });
});
