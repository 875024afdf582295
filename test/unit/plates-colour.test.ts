import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/core/image.js';
import { colourBin, estimatePlateColour } from '../../src/plates/plate-colour.js';

type Rgb = [number, number, number];

/** A 100x30 "plate": background colour, with dark or light bars standing in for characters. */
function plateImage(background: Rgb, ink: Rgb, inkShare = 0.3): RgbImage {
  const width = 100;
  const height = 30;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const isInk = y > 5 && y < 25 && x % 10 < inkShare * 10 * (30 / 19);
      data.set(isInk ? ink : background, (y * width + x) * 3);
    }
  }
  return { width, height, data };
}

const black: Rgb = [25, 25, 30];
const white: Rgb = [235, 235, 230];

describe('estimatePlateColour', () => {
  it.each([
    ['white', [225, 228, 222] as Rgb, black],
    ['white', [200, 205, 225] as Rgb, black], // bluish camera cast on a white plate
    ['yellow', [235, 200, 40] as Rgb, black],
    ['blue', [20, 70, 170] as Rgb, white],
    ['red', [190, 30, 30] as Rgb, white],
  ] as const)('reads a %s background', (expected, background, ink) => {
    expect(estimatePlateColour(plateImage(background, ink), { x: 0, y: 0, w: 100, h: 30 })).toBe(expected);
  });

  it('is unknown when the box is dark (night, no light on the plate)', () => {
    expect(estimatePlateColour(plateImage([40, 40, 45], black), { x: 0, y: 0, w: 100, h: 30 })).toBeUndefined();
  });

  it('looks only inside the box, clipped to the image', () => {
    const image = plateImage([235, 200, 40], black);
    expect(estimatePlateColour(image, { x: 50, y: 0, w: 500, h: 30 })).toBe('yellow');
    expect(estimatePlateColour(image, { x: 200, y: 0, w: 10, h: 10 })).toBeUndefined();
  });
});

describe('colourBin', () => {
  it.each([
    [[0, 0, 0], 'black'],
    [[255, 255, 255], 'white'],
    [[120, 120, 120], 'other'], // grey: neither background nor ink
    [[230, 190, 30], 'yellow'],
    [[30, 160, 60], 'green'],
    [[20, 60, 200], 'blue'],
    [[200, 20, 40], 'red'],
  ] as const)('%j is %s', (rgb, expected) => {
    expect(colourBin(rgb[0], rgb[1], rgb[2])).toBe(expected);
  });
});
