import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { framePath, writeFileDurably } from '../../src/store/frame-files.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

const jpeg = (size: number, fill = 0x42) => Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(size - 2, fill)]);

describe('frame files', () => {
  const temp = useTempDirs();

  it('are named by the UTC day of the event and its id', () => {
    expect(framePath('01JGXYZ', Date.UTC(2026, 0, 31, 23, 59, 59))).toBe('frames/2026-01-31/01JGXYZ.jpg');
    expect(framePath('01JGXYZ', Date.UTC(2026, 1, 1))).toBe('frames/2026-02-01/01JGXYZ.jpg');
  });

  it('are written under the data directory and recorded in frames', async () => {
    const dir = temp.make();
    const clock = new FakeClock(Date.UTC(2026, 6, 14, 10));
    const store = temp.open(dir, {}, clock);
    const event = store.events.append({ type: 'plate.read', laneId: 'entry-1', payload: {} });
    clock.advance(250);
    const record = await store.frames.write(event.eventId, jpeg(5000));
    expect(record).toEqual({
      eventId: event.eventId,
      path: `frames/2026-07-14/${event.eventId}.jpg`,
      bytes: 5000,
      createdAt: clock.now(),
      sha256: createHash('sha256').update(jpeg(5000)).digest('hex'),
    });
    // The hash goes into the lane's chain with an evidence.frame event.
    expect(store.events.pending(10).map((e) => [e.event.type, e.event.laneId, e.event.payload])).toEqual([
      ['plate.read', 'entry-1', {}],
      ['evidence.frame', 'entry-1', { eventId: event.eventId, path: record.path, bytes: 5000, sha256: record.sha256 }],
    ]);
    expect(readFileSync(join(dir, record.path))).toEqual(jpeg(5000));
    expect(store.frames.get(event.eventId)).toEqual(record);
    expect(store.frames.absolutePath(record)).toBe(join(dir, record.path));
    expect(readdirSync(join(dir, 'frames/2026-07-14'))).toEqual([`${event.eventId}.jpg`]); // no temp file left
  });

  it('refuse a frame for an unknown event, and a second frame for the same event', async () => {
    const dir = temp.make();
    const store = temp.open(dir);
    await expect(store.frames.write('01ARZ3NDEKTSV4RRFFQ69G5FAV', jpeg(10))).rejects.toThrow(
      'cannot store a frame for event 01ARZ3NDEKTSV4RRFFQ69G5FAV: no such event',
    );
    const event = store.events.append({ type: 'plate.read', laneId: 'entry-1', payload: {} });
    await store.frames.write(event.eventId, jpeg(10, 1));
    await expect(store.frames.write(event.eventId, jpeg(10, 2))).rejects.toThrow(
      `cannot store a frame for event ${event.eventId}: it already has one (frames/`,
    );
    expect(readFileSync(store.frames.absolutePath(store.frames.get(event.eventId)!))).toEqual(jpeg(10, 1));
  });

  it('leave no row and no temp file when the write fails', async () => {
    const dir = temp.make();
    const clock = new FakeClock(Date.UTC(2026, 6, 14));
    const store = temp.open(dir, {}, clock);
    const event = store.events.append({ type: 'plate.read', laneId: 'entry-1', payload: {} });
    // A directory squatting on the target's name makes the rename fail after the temp file was written.
    mkdirSync(join(dir, `frames/2026-07-14/${event.eventId}.jpg`), { recursive: true });
    writeFileSync(join(dir, `frames/2026-07-14/${event.eventId}.jpg/inside`), 'x');
    await expect(store.frames.write(event.eventId, jpeg(100))).rejects.toThrow(
      new RegExp(`^cannot write the frame of event ${event.eventId} to frames/2026-07-14/${event.eventId}.jpg: `),
    );
    expect(store.frames.get(event.eventId)).toBeUndefined();
    expect(readdirSync(join(dir, 'frames/2026-07-14'))).toEqual([`${event.eventId}.jpg`]);
  });
});

describe('writeFileDurably', () => {
  const temp = useTempDirs();

  it('creates missing directories and replaces an existing file whole', async () => {
    const dir = temp.make();
    const target = join(dir, 'a', 'b', 'c.jpg');
    await writeFileDurably(target, Buffer.from('first'));
    await writeFileDurably(target, Buffer.from('second, longer'));
    expect(readFileSync(target, 'utf8')).toBe('second, longer');
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['c.jpg']);
  });

  it('works with a relative path', async () => {
    const dir = temp.make();
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      await writeFileDurably(join('x', 'y.jpg'), Buffer.from('z'));
    } finally {
      process.chdir(cwd);
    }
    expect(existsSync(join(dir, 'x', 'y.jpg'))).toBe(true);
  });
});
