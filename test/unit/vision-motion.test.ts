import { describe, expect, it } from 'vitest';
import { MotionGate } from '../../src/vision/motion.js';

const W = 64;
const H = 48;
const frame = (paint?: (x: number, y: number) => number) => {
  const data = Buffer.alloc(W * H * 3, 100);
  if (paint)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) data.fill(paint(x, y), (y * W + x) * 3, (y * W + x) * 3 + 3);
  return { width: W, height: H, data };
};

describe('MotionGate', () => {
  const opts = { threshold: 10, minChangedFraction: 0.05, gridWidth: 16 };

  it('counts the first frame as motion, then a still scene as none', () => {
    const gate = new MotionGate({ x: 0, y: 0, w: W, h: H }, opts);
    expect(gate.moving(frame())).toBe(true);
    expect(gate.moving(frame())).toBe(false);
  });

  it('sees a vehicle entering the region', () => {
    const gate = new MotionGate({ x: 0, y: 0, w: W, h: H }, opts);
    gate.moving(frame());
    expect(gate.moving(frame((x, y) => (x > 20 && x < 40 && y > 10 ? 200 : 100)))).toBe(true);
  });

  it('ignores changes outside its region and below the threshold', () => {
    const gate = new MotionGate({ x: 0, y: 0, w: 32, h: H }, opts);
    gate.moving(frame());
    expect(gate.moving(frame((x) => (x >= 40 ? 250 : 100)))).toBe(false);
    expect(gate.moving(frame(() => 105))).toBe(false);
  });
});
