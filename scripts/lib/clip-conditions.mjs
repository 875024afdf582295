// Harder conditions for the demo clip's lane test track (scripts/render-demo-clip.mjs --scene
// track): what a gate camera sees at night under its infrared light, in rain, with a smeared
// vehicle, a dirty or tilted plate, or the low sun in the lens. Each condition works on one of
// four things, so the renderer only calls the hooks: the plate as it is drawn (dirt, tilt), the
// vehicle's sprite once mounted (night, blur), the empty road (night), and each finished frame
// (night's extra noise, rain, sun). `clean` is the control: nothing changes.
//
// Every random draw comes from the `random` the caller passes (seeded), never Math.random.
import { clamp, gaussianFrom } from './plate-art.mjs';

export const CONDITIONS = ['clean', 'night', 'rain', 'blur', 'dirt', 'tilt', 'sun'];

/** One line per condition, for the sidecar and the docs. */
export const CONDITION_NOTES = {
  clean: 'control: daylight, a clean plate, tilted ±1.2° like every plate',
  night: 'night under infrared light: the scene grey and dark, the retroreflective plate bright, more sensor noise',
  rain: 'rain: bright slanted streaks over the whole frame, new in every frame, and a duller, darker scene',
  blur: 'motion blur: the vehicle smeared 10 px along its travel (vertically, at its stopped size)',
  dirt: 'dirt: light brown splashes and a film of grime on the plate; the characters stay legible',
  tilt: 'tilted plate: rotated 7–11° on its mount',
  sun: 'low sun: a glare in the upper right and a haze that washes out the contrast of the whole frame',
};

/** The tilt of a plate on its mount, degrees: ±1.2 as in every clip, 7–11 for `tilt`. */
export function plateTilt(condition, random) {
  const r = random();
  if (condition !== 'tilt') return (r - 0.5) * 2.4;
  return (r < 0.5 ? -1 : 1) * (7 + 4 * random());
}

/** An SVG over the plate (its mm viewBox) for `dirt`, else null: grime and splashes, no mud wall. */
export function plateOverlay(condition, [wmm, hmm], random) {
  if (condition !== 'dirt') return null;
  let blobs = `<rect width="${wmm}" height="${hmm}" fill="#6b5538" opacity="0.22"/>`;
  for (let i = 0; i < 14; i++) {
    const cx = 10 + random() * (wmm - 20),
      cy = 10 + random() * (hmm - 20);
    blobs += `<ellipse cx="${cx}" cy="${cy}" rx="${6 + random() * 14}" ry="${4 + random() * 9}" fill="#5b4330" opacity="${0.35 + random() * 0.25}"/>`;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${wmm} ${hmm}" width="${wmm * 2}" height="${hmm * 2}">${blobs}</svg>`;
}

const luma = (r, g, b) => 0.299 * r + 0.587 * g + 0.114 * b;

/**
 * The vehicle's RGBA sprite (stopped size) for its condition, changed in place: `night` makes
 * the body a dark grey and the plates (`boxes`, sprite pixels) a bright grey, as an infrared
 * camera sees a retroreflective plate; `blur` smears it vertically.
 */
export function treatSprite(sprite, condition, boxes) {
  const { data, w, h } = sprite;
  if (condition === 'night') {
    const onPlate = (x, y) => boxes.some((b) => x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h);
    for (let y = 0, i = 0; y < h; y++) {
      for (let x = 0; x < w; x++, i += 4) {
        const l = luma(data[i], data[i + 1], data[i + 2]);
        const v = onPlate(x, y) ? 35 + 0.85 * l : 0.2 * l;
        data[i] = data[i + 1] = data[i + 2] = clamp(Math.round(v), 0, 255);
      }
    }
  } else if (condition === 'blur') {
    verticalBlur(data, w, h, 10);
  }
}

/** A box blur `len` px long down the columns, weighted by alpha so the transparent edge does not darken it. */
function verticalBlur(data, w, h, len) {
  const src = Uint8ClampedArray.from(data);
  const half = len >> 1;
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      let r = 0,
        g = 0,
        b = 0,
        a = 0,
        n = 0;
      for (let k = Math.max(0, y - half); k <= Math.min(h - 1, y + half); k++, n++) {
        const j = (k * w + x) * 4,
          aj = src[j + 3];
        r += src[j] * aj;
        g += src[j + 1] * aj;
        b += src[j + 2] * aj;
        a += aj;
      }
      const i = (y * w + x) * 4;
      if (a > 0) {
        data[i] = r / a;
        data[i + 1] = g / a;
        data[i + 2] = b / a;
      }
      data[i + 3] = a / n;
    }
  }
}

/** The empty road (packed RGB) as the condition shows it: a copy, dark grey for `night`; the same buffer otherwise. */
export function treatBackground(background, condition) {
  if (condition !== 'night') return background;
  const out = Buffer.allocUnsafe(background.length);
  for (let i = 0; i < background.length; i += 3) {
    out[i] = out[i + 1] = out[i + 2] = Math.round(0.18 * luma(background[i], background[i + 1], background[i + 2]));
  }
  return out;
}

/**
 * Frame-level effects, made once per clip (`random` seeds them): `apply(pixels, condition)`
 * changes a finished frame (Uint8ClampedArray, packed RGB, W x H) in place.
 */
export function frameEffects(W, H, random) {
  // Night: the noise of a sensor at high gain, from one table read at a new offset each frame.
  const spare = 40_000 * 3;
  const grain = new Int8Array(W * H * 3 + spare);
  for (let i = 0; i < grain.length; i++) grain[i] = Math.round(gaussianFrom(random) * 5);
  // Sun: per pixel, out = p * keep + add; a haze over everything and a glare around the sun.
  const keep = new Float32Array(W * H),
    add = new Float32Array(W * H);
  const [sx, sy, radius] = [1150, 60, 520];
  for (let y = 0, p = 0; y < H; y++) {
    for (let x = 0; x < W; x++, p++) {
      const glare = 0.75 * Math.exp(-((x - sx) ** 2 + (y - sy) ** 2) / radius ** 2);
      const a = 1 - (1 - 0.38) * (1 - glare); // haze 0.38 everywhere, more near the sun
      keep[p] = 1 - a;
      add[p] = a * 232;
    }
  }
  const rain = (px) => {
    for (let i = 0; i < px.length; i++) px[i] = px[i] * 0.78 + 18; // overcast: duller and darker
    for (let s = 0; s < 320; s++) {
      const x0 = random() * W,
        y0 = random() * H,
        len = 16 + random() * 30,
        alpha = 0.25 + random() * 0.25;
      for (let t = 0; t < len; t++) {
        const x = Math.round(x0 + 0.28 * t),
          y = Math.round(y0 + t);
        if (x < 0 || x >= W || y >= H) break;
        const i = (y * W + x) * 3;
        px[i] += (215 - px[i]) * alpha;
        px[i + 1] += (220 - px[i + 1]) * alpha;
        px[i + 2] += (228 - px[i + 2]) * alpha;
      }
    }
  };
  return {
    apply(px, condition) {
      if (condition === 'night') {
        const off = Math.floor(random() * (spare / 3)) * 3;
        for (let i = 0; i < px.length; i++) px[i] += grain[off + i];
      } else if (condition === 'rain') rain(px);
      else if (condition === 'sun') {
        for (let p = 0, i = 0; p < keep.length; p++, i += 3) {
          px[i] = px[i] * keep[p] + add[p];
          px[i + 1] = px[i + 1] * keep[p] + add[p] * 0.97;
          px[i + 2] = px[i + 2] * keep[p] + add[p] * 0.88;
        }
      }
    },
  };
}
