import type { Box, RgbImage } from '../core/image.js';
import type { PlateColour } from './types.js';

/** Samples taken across the box at most; enough for a majority, cheap in the hot path. */
const MAX_SAMPLES = 1024;
/** The background must cover at least this share of the box, else the colour is unknown. */
const MIN_BACKGROUND_SHARE = 0.3;

type Bin = PlateColour | 'black' | 'green' | 'other';

/**
 * The plate's background colour, as far as its pixels tell: the most common colour in the box
 * that is not dark (characters are dark on light plates; on blue and red plates the characters
 * are white and cover less than the background). Unknown (undefined) when no colour dominates,
 * e.g. in poor light. Vietnamese kinds depend on it: yellow is commercial, blue is state.
 */
export function estimatePlateColour(image: RgbImage, box: Box): PlateColour | undefined {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(image.width, Math.ceil(box.x + box.w));
  const y1 = Math.min(image.height, Math.ceil(box.y + box.h));
  if (x1 <= x0 || y1 <= y0) return undefined;
  const step = Math.max(1, Math.ceil(Math.sqrt(((x1 - x0) * (y1 - y0)) / MAX_SAMPLES)));
  const counts: Record<Bin, number> = { white: 0, yellow: 0, blue: 0, red: 0, black: 0, green: 0, other: 0 };
  let samples = 0;
  for (let y = y0; y < y1; y += step) {
    for (let x = x0; x < x1; x += step) {
      const i = (y * image.width + x) * 3;
      counts[colourBin(image.data[i]!, image.data[i + 1]!, image.data[i + 2]!)]++;
      samples++;
    }
  }
  const candidates: PlateColour[] = ['white', 'yellow', 'blue', 'red'];
  const best = candidates.reduce((a, b) => (counts[b] > counts[a] ? b : a));
  return counts[best] >= MIN_BACKGROUND_SHARE * samples ? best : undefined;
}

/** One pixel's colour name from its hue, saturation and value. */
export function colourBin(r: number, g: number, b: number): Bin {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const value = max / 255;
  const saturation = max === 0 ? 0 : (max - min) / max;
  if (value < 0.3) return 'black';
  // Low saturation: white, allowing for a camera's colour cast and shade.
  if (saturation < 0.25) return value >= 0.5 ? 'white' : 'other';
  const hue = hueDegrees(r, g, b, max, min);
  if (hue < 15 || hue >= 330) return 'red';
  if (hue >= 35 && hue < 70) return 'yellow';
  if (hue >= 75 && hue < 165) return 'green';
  if (hue >= 190 && hue < 260) return 'blue';
  return 'other';
}

function hueDegrees(r: number, g: number, b: number, max: number, min: number): number {
  const d = max - min;
  if (d === 0) return 0;
  let h: number;
  if (max === r) h = ((g - b) / d) % 6;
  else if (max === g) h = (b - r) / d + 2;
  else h = (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}
