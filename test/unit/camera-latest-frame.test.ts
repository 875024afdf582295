import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { LatestFrameSlot, RateMeter } from '../../src/camera/latest-frame.js';
import type { Frame } from '../../src/camera/types.js';

function frame(seq: number, clock: FakeClock): Frame {
  return {
    width: 1,
    height: 1,
    data: Buffer.from([seq, 0, 0]),
    seq,
    capturedAt: clock.now(),
    monotonicAt: clock.monotonic(),
  };
}

describe('LatestFrameSlot', () => {
  it('hands out the newest frame and counts the ones replaced untaken as dropped', async () => {
    const clock = new FakeClock();
    const slot = new LatestFrameSlot(clock);
    const f1 = frame(1, clock);
    expect(slot.put(f1)).toBeNull();
    expect(slot.put(frame(2, clock))).toBe(f1); // given back for reuse
    slot.put(frame(3, clock));
    expect((await slot.take())?.seq).toBe(3);
    expect(slot.counters()).toMatchObject({ framesIn: 3, framesProcessed: 1, framesDropped: 2 });
  });

  it('makes a taker wait for the next frame, and a frame is taken only once', async () => {
    const clock = new FakeClock();
    const slot = new LatestFrameSlot(clock);
    slot.put(frame(1, clock));
    expect((await slot.take())?.seq).toBe(1);
    const waiting = slot.take();
    slot.put(frame(2, clock));
    expect((await waiting)?.seq).toBe(2);
    expect(slot.counters()).toMatchObject({ framesIn: 2, framesProcessed: 2, framesDropped: 0 });
  });

  it('serves several waiting takers one frame each, in order', async () => {
    const clock = new FakeClock();
    const slot = new LatestFrameSlot(clock);
    const a = slot.take();
    const b = slot.take();
    slot.put(frame(1, clock));
    slot.put(frame(2, clock));
    expect([(await a)?.seq, (await b)?.seq]).toEqual([1, 2]);
  });

  it("close('discard') resolves waiters and later takes with null", async () => {
    const clock = new FakeClock();
    const slot = new LatestFrameSlot(clock);
    const waiting = slot.take();
    slot.close('discard');
    expect(await waiting).toBeNull();
    slot.put(frame(1, clock));
    expect(await slot.take()).toBeNull();
  });

  it("close('drain') still gives the held frame, then null", async () => {
    const clock = new FakeClock();
    const slot = new LatestFrameSlot(clock);
    slot.put(frame(7, clock));
    slot.close('drain');
    expect((await slot.take())?.seq).toBe(7);
    expect(await slot.take()).toBeNull();
  });

  it('rejects a take with the abort reason, and the frame goes to the next taker', async () => {
    const clock = new FakeClock();
    const slot = new LatestFrameSlot(clock);
    const ac = new AbortController();
    const waiting = slot.take(ac.signal);
    ac.abort(new Error('lane stopping'));
    await expect(waiting).rejects.toThrow('lane stopping');
    slot.put(frame(1, clock));
    expect((await slot.take())?.seq).toBe(1);
    await expect(slot.take(ac.signal)).rejects.toThrow('lane stopping');
  });

  it('reports the age of the newest frame', () => {
    const clock = new FakeClock();
    const slot = new LatestFrameSlot(clock);
    expect(slot.counters().lastFrameAgeMs).toBeNull();
    slot.put(frame(1, clock));
    clock.advance(250);
    expect(slot.counters().lastFrameAgeMs).toBe(250);
  });
});

describe('RateMeter', () => {
  it('measures events per second over the window and decays when they stop', () => {
    const clock = new FakeClock();
    const meter = new RateMeter(clock, 5_000);
    expect(meter.perSecond()).toBe(0);
    for (let i = 0; i < 100; i++) {
      clock.advance(100); // 10 per second for 10 s
      meter.mark();
    }
    expect(meter.perSecond()).toBe(10);
    clock.advance(2_500);
    expect(meter.perSecond()).toBe(5); // half the window is now empty
    clock.advance(5_000);
    expect(meter.perSecond()).toBe(0);
  });

  it('divides by the time observed so far before a full window has passed', () => {
    const clock = new FakeClock();
    const meter = new RateMeter(clock, 5_000);
    for (let i = 0; i < 20; i++) {
      meter.mark();
      clock.advance(100);
    }
    expect(meter.perSecond()).toBe(10); // 20 events in 2 s
  });
});
