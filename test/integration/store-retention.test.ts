import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import { measureDiskUsage } from '../../src/store/disk-usage.js';
import {
  Retention,
  type RetentionAlarm,
  type RetentionPolicy,
  type RetentionResult,
} from '../../src/store/retention.js';
import { RetentionService } from '../../src/store/retention-service.js';
import { ChainPruning } from '../../src/store/chain-pruning.js';
import { loadOrCreateGateKey } from '../../src/evidence/gate-key.js';
import { recordStoreAlarm } from '../../src/store/store-alarm.js';
import type { Store } from '../../src/store/store.js';
import type { StoredEvent } from '../../src/store/types.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

const DAY = 86_400_000;
const KB = 1024;
const FRAME_BYTES = 100 * KB;
const CROP_BYTES = 20_000;

const NOTHING = { frames: 0, crops: 0, events: 0 };
const idleResult: RetentionResult = {
  byAge: NOTHING,
  byQuota: NOTHING,
  usage: { databaseBytes: 0, framesBytes: 0, totalBytes: 0 },
  quotaBytes: 1,
  quotaExceeded: false,
  alarm: null,
  pruned: [],
};

describe('retention', () => {
  const temp = useTempDirs();

  /**
   * Events 1..total on lane entry-1, each with a crop and a frame file (and so an evidence.frame
   * event after it); the first `delivered` are delivered, with their frames' events.
   */
  async function gate(total: number, delivered: number) {
    const dir = temp.make();
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const store = temp.open(dir, {}, clock);
    const events: StoredEvent[] = [];
    for (let i = 1; i <= total; i++) {
      const event = store.events.append({
        type: 'plate.read',
        laneId: 'entry-1',
        payload: { n: i },
        crop: Buffer.alloc(CROP_BYTES, i),
      });
      await store.frames.write(event.eventId, Buffer.alloc(FRAME_BYTES, i));
      events.push(event);
      clock.advance(1000);
    }
    // Each event is followed in the outbox by the evidence.frame event of its frame file.
    if (delivered > 0) store.events.markDelivered(store.events.pending(delivered * 2).map((e) => e.outboxId));
    const retention = (policy: Partial<RetentionPolicy>) =>
      new Retention(
        store.db,
        dir,
        clock,
        { retentionDays: 90, quotaBytes: 1024 ** 4, ...policy },
        new ChainPruning(store.db, loadOrCreateGateKey(dir).key),
      );
    return { dir, clock, store, events, retention };
  }

  /** Which of the events (by payload n) still have a frame file, a crop, a row. */
  function survivors(store: Store, dir: string, events: StoredEvent[]) {
    const has = (pick: (e: StoredEvent) => boolean) => events.filter(pick).map((e) => e.payload.n);
    return {
      frames: has((e) => {
        const frame = store.frames.get(e.eventId);
        return frame !== undefined && existsSync(join(dir, frame.path));
      }),
      crops: has((e) => store.events.getCrop(e.eventId) !== undefined),
      events: has((e) => store.events.get(e.eventId) !== undefined),
    };
  }

  const all = (n: number, from = 1) => Array.from({ length: n - from + 1 }, (_, i) => i + from);

  it('deletes delivered events past the retention age with their images, and keeps undelivered ones however old', async () => {
    const { dir, clock, store, events, retention } = await gate(4, 2); // 1, 2 delivered; 3, 4 not
    clock.advance(91 * DAY);
    const recent = store.events.append({ type: 'plate.read', laneId: 'entry-1', payload: { n: 5 } });
    store.events.markDelivered([store.events.get(recent.eventId)!.outboxId]);

    const result = await retention({ retentionDays: 90 }).run();
    expect(result.byAge).toEqual({ frames: 2, crops: 0, events: 4 }); // and their frames' evidence.frame events
    expect(result.byQuota).toEqual({ frames: 0, crops: 0, events: 0 });
    expect(result.alarm).toBeNull();
    expect(survivors(store, dir, [...events, recent])).toEqual({ frames: [3, 4], crops: [3, 4], events: [3, 4, 5] });
    expect(store.events.pendingCount()).toBe(4); // 3, 4 and their frames' events
    // Seq goes on after the lane's oldest events are gone (5 reads, 4 frames' events so far).
    expect(store.events.append({ type: 'plate.read', laneId: 'entry-1', payload: {} }).seq).toBe(10);
  });

  it('keeps everything younger than the retention age', async () => {
    const { dir, clock, store, events, retention } = await gate(3, 3);
    clock.advance(89 * DAY);
    const result = await retention({ retentionDays: 90 }).run();
    expect(result.byAge).toEqual({ frames: 0, crops: 0, events: 0 });
    expect(survivors(store, dir, events)).toEqual({ frames: all(3), crops: all(3), events: all(3) });
  });

  it('removes emptied date directories once they are old, and temp files a crash left', async () => {
    const { dir, clock, retention } = await gate(2, 2);
    const leftover = join(dir, 'frames', '2026-01-01', '01ARZ3NDEKTSV4RRFFQ69G5FAV.jpg.tmp-0a1b2c3d');
    writeFileSync(leftover, 'half a frame');
    clock.advance(100 * DAY);
    await retention({ retentionDays: 90 }).run();
    expect(existsSync(leftover)).toBe(false);
    expect(readdirSync(join(dir, 'frames'))).toEqual([]);
  });

  it('copes with a frame row whose file never made it to disk', async () => {
    const { dir, clock, store, retention } = await gate(1, 0);
    const event = store.events.append({ type: 'plate.read', laneId: 'entry-1', payload: {} });
    store.db
      .prepare('INSERT INTO frames (event_id, path, bytes, created_at) VALUES (?, ?, 10, 0)')
      .run(event.eventId, 'frames/2026-01-01/missing.jpg');
    store.events.markDelivered(store.events.pending(10).map((e) => e.outboxId));
    clock.advance(100 * DAY);
    expect((await retention({ retentionDays: 90 }).run()).byAge).toEqual({ frames: 2, crops: 0, events: 3 });
    expect(readdirSync(join(dir, 'frames'))).toEqual([]);
  });

  describe('over quota', () => {
    it('deletes the oldest delivered frame files first, only as many as needed', async () => {
      const { dir, store, events, retention } = await gate(10, 6);
      const before = measureDiskUsage(store.db);
      const result = await retention({ quotaBytes: before.totalBytes - 250 * KB }).run();
      expect(result.byQuota).toEqual({ frames: 3, crops: 0, events: 0 });
      expect(survivors(store, dir, events)).toEqual({ frames: all(10, 4), crops: all(10), events: all(10) });
      expect(result).toMatchObject({
        quotaExceeded: false,
        alarm: 'quota-enforced',
        quotaBytes: before.totalBytes - 250 * KB,
      });
      expect(result.usage.totalBytes).toBeLessThanOrEqual(result.quotaBytes);
      expect(result.usage.framesBytes).toBe(7 * FRAME_BYTES);
    });

    it('then drops the oldest delivered crops, keeping the events', async () => {
      const { dir, store, events, retention } = await gate(10, 6);
      const before = measureDiskUsage(store.db);
      const result = await retention({ quotaBytes: before.totalBytes - 6 * FRAME_BYTES - 30 * KB }).run();
      expect(result.byQuota).toEqual({ frames: 6, crops: 2, events: 0 });
      expect(survivors(store, dir, events)).toEqual({ frames: all(10, 7), crops: all(10, 3), events: all(10) });
      expect(result.usage.databaseBytes).toBeLessThan(before.databaseBytes); // freed pages went back to the disk
      expect(result.quotaExceeded).toBe(false);
    });

    it('deletes every delivered event before giving up, never an undelivered one, and reports the quota exceeded', async () => {
      const { dir, store, events, retention } = await gate(10, 6);
      const result = await retention({ quotaBytes: 64 * KB }).run();
      expect(result.byQuota).toEqual({ frames: 6, crops: 6, events: 12 }); // 6 and their frames' events
      expect(survivors(store, dir, events)).toEqual({ frames: all(10, 7), crops: all(10, 7), events: all(10, 7) });
      const pendingReads = store.events.pending(20).filter((e) => e.event.type === 'plate.read');
      expect(pendingReads.map((e) => e.event.payload.n)).toEqual(all(10, 7));
      expect(result).toMatchObject({ quotaExceeded: true, alarm: 'quota-exceeded', quotaBytes: 64 * KB });
      expect(result.usage.totalBytes).toBeGreaterThan(64 * KB);
      expect(result.usage.framesBytes).toBe(4 * FRAME_BYTES);
    });

    it('deletes nothing when all data is undelivered, and says so', async () => {
      const { dir, store, events, retention } = await gate(3, 0);
      const result = await retention({ quotaBytes: 1 }).run();
      expect(result.byQuota).toEqual({ frames: 0, crops: 0, events: 0 });
      expect(result.alarm).toBe('quota-exceeded');
      expect(survivors(store, dir, events)).toEqual({ frames: all(3), crops: all(3), events: all(3) });
    });
  });

  describe('RetentionService', () => {
    it('runs at start and every interval, raising each alarm once per episode, and stops cleanly', async () => {
      const { clock, retention } = await gate(4, 2);
      const alarms: [RetentionAlarm, RetentionResult][] = [];
      const service = new RetentionService({ clock, log: silentLogger }, retention({ quotaBytes: 64 * KB }), {
        intervalMs: 60_000,
        onAlarm: (alarm, result) => alarms.push([alarm, result]),
      });
      await service.start();
      clock.advance(0);
      await vi.waitFor(() => expect(service.stats().runs).toBe(1));
      expect(alarms.map(([a]) => a)).toEqual(['quota-exceeded']);
      expect(alarms[0]![1].byQuota).toEqual({ frames: 2, crops: 2, events: 4 });

      clock.advance(60_000);
      await vi.waitFor(() => expect(service.stats().runs).toBe(2));
      expect(alarms).toHaveLength(1); // still exceeded: the same episode

      expect(service.stats()).toMatchObject({ deletedFrames: 2, deletedCrops: 2, deletedEvents: 4 });

      await service.stop();
      expect(clock.pendingTimers()).toBe(0);
      clock.advance(120_000);
      expect(service.stats().runs).toBe(2);
    });

    it('records the alarm as a gate-level event in the outbox, so central learns of it', async () => {
      const { store, clock, retention } = await gate(4, 2);
      const service = new RetentionService({ clock, log: silentLogger }, retention({ quotaBytes: 64 * KB }), {
        intervalMs: 60_000,
        onAlarm: (alarm, result) => recordStoreAlarm(store.events, silentLogger, alarm, result),
      });
      await service.start();
      clock.advance(0);
      await vi.waitFor(() => expect(service.stats().runs).toBe(1));
      await service.stop();
      const alarms = store.events.pending(10).filter((e) => e.event.type === 'alarm');
      expect(alarms).toHaveLength(1);
      expect(alarms[0]!.event).toMatchObject({
        laneId: 'gate',
        payload: { alarm: 'store.quota-exceeded', quotaBytes: 64 * KB, quotaExceeded: true },
      });
      expect(alarms[0]!.event.payload.deletedByQuota).toEqual({ frames: 2, crops: 2, events: 4 });
    });

    it('alarms once when the quota starts biting, and again after it was fine in between', async () => {
      const { store, clock, retention } = await gate(6, 6);
      const quotaBytes = measureDiskUsage(store.db).totalBytes - 150 * KB;
      const alarms: RetentionAlarm[] = [];
      const service = new RetentionService({ clock, log: silentLogger }, retention({ quotaBytes }), {
        intervalMs: 1000,
        onAlarm: (alarm) => alarms.push(alarm),
      });
      const run = async () => (await service.runOnce()).alarm;
      expect(await run()).toBe('quota-enforced');
      expect(await run()).toBeNull();
      const event = store.events.append({ type: 'plate.read', laneId: 'entry-1', payload: {} });
      await store.frames.write(event.eventId, Buffer.alloc(FRAME_BYTES));
      store.events.markDelivered([store.events.get(event.eventId)!.outboxId]);
      expect(await run()).toBe('quota-enforced');
      expect(alarms).toEqual(['quota-enforced', 'quota-enforced']);
    });

    it('keeps one schedule when stopped and started again during a run', async () => {
      const clock = new FakeClock();
      let finish = () => {};
      const slow = {
        run: () => new Promise<RetentionResult>((resolve) => (finish = () => resolve(idleResult))),
      } as unknown as Retention;
      const service = new RetentionService({ clock, log: silentLogger }, slow, { intervalMs: 1000 });
      await service.start();
      clock.advance(0); // the first run starts and waits
      const stopping = service.stop();
      await service.start();
      finish();
      await stopping;
      await vi.waitFor(() => expect(service.stats().runs).toBe(1));
      expect(clock.pendingTimers()).toBe(1);
      await service.stop();
    });

    it('logs a failed run and keeps its schedule', async () => {
      const clock = new FakeClock();
      const errors: unknown[] = [];
      const log = { ...silentLogger, error: (obj: object | string) => void errors.push(obj) };
      let calls = 0;
      const failing = { run: async () => Promise.reject(new Error(`run ${++calls} failed`)) } as unknown as Retention;
      const service = new RetentionService({ clock, log }, failing, { intervalMs: 10 });
      await service.start();
      clock.advance(0);
      await vi.waitFor(() => expect(errors).toHaveLength(1));
      clock.advance(10);
      await vi.waitFor(() => expect(errors).toHaveLength(2));
      await service.stop();
      expect(clock.pendingTimers()).toBe(0);
    });
  });
});
