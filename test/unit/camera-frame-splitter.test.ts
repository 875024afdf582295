import { describe, expect, it } from 'vitest';
import { FrameSplitter } from '../../src/camera/frame-splitter.js';

/** A byte stream of `frames` frames of `size` bytes; byte i of frame f is (f * 31 + i) & 255. */
function stream(frames: number, size: number): Buffer {
  const out = Buffer.alloc(frames * size);
  for (let f = 0; f < frames; f++) for (let i = 0; i < size; i++) out[f * size + i] = (f * 31 + i) & 255;
  return out;
}

function cut(data: Buffer, sizes: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let offset = 0;
  for (let k = 0; offset < data.length; k++) {
    const n = sizes[k % sizes.length]!;
    chunks.push(Buffer.from(data.subarray(offset, offset + n)));
    offset += n;
  }
  return chunks;
}

describe('FrameSplitter', () => {
  const size = 12;
  const data = stream(5, size);
  const expected = [0, 1, 2, 3, 4].map((f) => data.subarray(f * size, (f + 1) * size));

  it.each([
    ['whole stream at once', [data.length]],
    ['one byte at a time', [1]],
    ['exact frames', [size]],
    ['uneven chunks across boundaries', [5, 7, 13, 1, 30]],
    ['chunks larger than a frame', [25]],
  ])('rebuilds exact frames from %s', (_name, sizes) => {
    const frames: Buffer[] = [];
    const splitter = new FrameSplitter(size, (f) => frames.push(f));
    for (const chunk of cut(data, sizes)) splitter.push(chunk);
    expect(frames).toEqual(expected);
    expect(splitter.pendingBytes).toBe(0);
  });

  it('keeps a trailing partial frame until it completes', () => {
    const frames: Buffer[] = [];
    const splitter = new FrameSplitter(size, (f) => frames.push(f));
    splitter.push(data.subarray(0, size + 5));
    expect(frames).toHaveLength(1);
    expect(splitter.pendingBytes).toBe(5);
    splitter.push(data.subarray(size + 5, 2 * size));
    expect(frames).toEqual(expected.slice(0, 2));
  });

  it('never writes into a frame it has handed out', () => {
    const frames: Buffer[] = [];
    const splitter = new FrameSplitter(size, (f) => frames.push(f));
    splitter.push(data);
    expect(new Set(frames).size).toBe(5);
    expect(new Set(frames.map((f) => f.buffer)).size).toBe(5); // no shared pool memory either
    expect(frames).toEqual(expected);
  });

  it('reuses a recycled buffer for the next frame', () => {
    const frames: Buffer[] = [];
    const splitter = new FrameSplitter(size, (f) => frames.push(f));
    splitter.push(data.subarray(0, size));
    const first = frames[0]!;
    splitter.recycle(first);
    splitter.push(data.subarray(size, 2 * size));
    expect(frames[1]).toBe(first);
    expect(frames[1]).toEqual(expected[1]);
  });

  it('ignores a recycled buffer of the wrong size', () => {
    const frames: Buffer[] = [];
    const splitter = new FrameSplitter(size, (f) => frames.push(f));
    const wrong = Buffer.alloc(size - 1);
    splitter.recycle(wrong);
    splitter.push(data.subarray(0, size));
    expect(frames[0]).not.toBe(wrong);
    expect(frames[0]).toEqual(expected[0]);
  });

  it('drops a partial frame on reset so the next stream starts on a boundary', () => {
    const frames: Buffer[] = [];
    const splitter = new FrameSplitter(size, (f) => frames.push(f));
    splitter.push(Buffer.alloc(7, 0xee));
    splitter.reset();
    expect(splitter.pendingBytes).toBe(0);
    splitter.push(data.subarray(0, size));
    expect(frames).toEqual([expected[0]]);
  });

  it('rejects a frame size that cannot be', () => {
    expect(() => new FrameSplitter(0, () => {})).toThrow(RangeError);
  });
});
