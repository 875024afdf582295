// Renders one synthetic plate crop from a spec (scripts/synth/specs.mjs): the plate drawn by
// scripts/lib/plate-art.mjs at its real proportions, on a little of the vehicle around it, then
// seeded augmentations: perspective warp, dirt, lighting (dim, contrast, shadow), IR night
// (grey, high contrast, bloom of the retro-reflective background), blur (focus, motion), sensor
// noise and JPEG. Every sample returns what was applied as a short `augment` string.
import sharp from 'sharp';
import { clamp, gaussianFrom, glyphs, mulberry32, plateSvg, spread } from '../lib/plate-art.mjs';
import { sampleSeed } from './specs.mjs';
import { warpOnto } from './warp.mjs';

/** Default crop scale for `--size native`: 0.5 px per mm (a 520 mm Vietnamese plate is 260 px wide). */
export const NATIVE_PX_PER_MM = 0.5;

/** Probability of each augmentation per sample (a few samples stay clean). */
export const AUGMENT_RATES = {
  clean: 0.05,
  warp: 0.9,
  dirt: 0.2,
  dim: 0.35,
  shadow: 0.3,
  ir: 0.15,
  blur: 0.55,
  motion: 0.15,
  noise: 0.8,
  jpeg: 0.5,
};

/**
 * The plate's SVG and size in mm (plate-art's `plateSvg`), and with a `sign` in the spec
 * (specs.mjs, `cn-yellow-sign`) the sign under it: a yellow board with black text or the text
 * painted on the vehicle, its lower part cut off where `visible` ends. The space around the sign
 * is transparent, so the vehicle's paint shows there.
 */
export function drawnPlate(spec) {
  const drawn = plateSvg(spec);
  const sign = spec.sign;
  if (!sign) return drawn;
  const [pw, ph] = drawn.mm;
  const sw = sign.width * pw,
    sh = sign.height;
  const sx = (pw - sw) / 2 + sign.offset * pw,
    sy = ph + sign.gap;
  const height = Math.round(sy + sh * sign.visible);
  const chars = [...sign.text];
  const pad = sh * 0.12;
  const capH = Math.min(sh * 0.62, ((sw - 2 * pad) / chars.length) * 0.8);
  const cells = spread(chars, sx + pad, sx + sw - pad, capH * 0.15, capH * 1.1);
  const ink = sign.board ? '#121212' : sign.ink;
  const board = sign.board
    ? `<rect x="${f2(sx)}" y="${f2(sy)}" width="${f2(sw)}" height="${f2(sh)}" rx="4" fill="#f0bf1a" stroke="#121212" stroke-width="2"/>`
    : '';
  const text = glyphs(chars, cells, sy + sh / 2 + capH / 2, capH, ink);
  const inner = drawn.svg.replace(/^<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${pw} ${height}" width="${pw * 2}" height="${height * 2}">${inner}${board}${text}</svg>`;
  return { svg, mm: [pw, height] };
}

/** Output size of the crop for a spec: `size` [w, h] or the plate's size at `pxPerMm`. */
export function cropSize(spec, size, pxPerMm = NATIVE_PX_PER_MM) {
  if (size) return size;
  const { mm } = drawnPlate(spec);
  return [Math.round(mm[0] * pxPerMm), Math.round(mm[1] * pxPerMm)];
}

const VEHICLE_PAINT = [
  [28, 28, 30],
  [200, 202, 204],
  [238, 238, 236],
  [120, 20, 24],
  [24, 48, 110],
  [70, 74, 80],
  [150, 150, 146],
  [40, 90, 60],
];

/** Dirt and mud splashes, semi-transparent so the plate stays readable: SVG shapes in mm. */
function dirtShapes([wmm, hmm], random, n) {
  let blobs = '';
  for (let i = 0; i < n; i++) {
    const cx = random() * wmm,
      cy = random() * hmm;
    const colour = random() < 0.6 ? '#5b4330' : random() < 0.5 ? '#7a6a55' : '#3b3b36';
    blobs += `<ellipse cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" rx="${(6 + random() * 30).toFixed(1)}" ry="${(4 + random() * 14).toFixed(1)}" transform="rotate(${(random() * 180).toFixed(0)} ${cx.toFixed(1)} ${cy.toFixed(1)})" fill="${colour}" opacity="${(0.25 + random() * 0.35).toFixed(2)}"/>`;
  }
  for (let i = 0; i < n * 6; i++) {
    blobs += `<circle cx="${(random() * wmm).toFixed(1)}" cy="${(random() * hmm).toFixed(1)}" r="${(0.8 + random() * 2.5).toFixed(1)}" fill="#4a3a2a" opacity="${(0.4 + random() * 0.4).toFixed(2)}"/>`;
  }
  return blobs;
}

const f2 = (v) => Number(v.toFixed(2));

/**
 * Renders sample `index` of a run seeded `seed`: `spec` drawn, pasted with a margin of vehicle,
 * augmented, resized to `size` ([w, h]; the plate's own aspect at `pxPerMm` when omitted).
 * `augment: false` draws the plate clean (no warp, no margin). Returns the PNG, its size and
 * the augmentations applied (`none` when clean).
 */
export async function renderCrop(spec, { seed, index, size, pxPerMm = NATIVE_PX_PER_MM, augment = true }) {
  const random = mulberry32(sampleSeed(seed, index, 1));
  const gauss = () => gaussianFrom(random);
  const [W, H] = cropSize(spec, size, pxPerMm);
  const { svg, mm } = drawnPlate(spec);
  const on = (name) => augment && random() < AUGMENT_RATES[name];
  const applied = [];
  const clean = !augment || random() < AUGMENT_RATES.clean;
  const use = (name) => !clean && on(name);

  // The plate at twice the output scale: warping and shrinking afterwards keeps edges smooth.
  const S = 2;
  const dirt = use('dirt') ? 3 + Math.floor(random() * 10) : 0;
  if (dirt) applied.push(`dirt=${dirt}`);
  const margin = clean ? 0 : 0.03 + random() * 0.07; // vehicle around the plate, share of each side
  const pw = Math.max(8, Math.round((W * S) / (1 + 2 * margin))),
    ph = Math.max(8, Math.round((H * S) / (1 + 2 * margin)));
  // Drawn straight at the working size (the SVG says 2 px/mm at 72 dpi), dirt inside it.
  const density = (72 * pw) / (mm[0] * 2);
  const plate = await sharp(
    Buffer.from(dirt ? svg.replace(/<\/svg>$/, `${dirtShapes(mm, random, dirt)}</svg>`) : svg),
    { density },
  )
    .resize(pw, ph, { fit: 'fill' })
    .ensureAlpha()
    .raw()
    .toBuffer();
  const cw = W * S,
    ch = H * S;
  const canvas = new Float32Array(cw * ch * 3);
  const paint = VEHICLE_PAINT[Math.floor(random() * VEHICLE_PAINT.length)];
  for (let y = 0; y < ch; y++) {
    const shade = 0.8 + 0.3 * (y / ch);
    const [r, g, b] = paint.map((v) => clamp(v * shade, 0, 255));
    for (let i = y * cw * 3, end = i + cw * 3; i < end; i += 3) {
      canvas[i] = r;
      canvas[i + 1] = g;
      canvas[i + 2] = b;
    }
  }
  const ox = (cw - pw) / 2,
    oy = (ch - ph) / 2;
  let quad = [
    [ox, oy],
    [ox + pw, oy],
    [ox + pw, oy + ph],
    [ox, oy + ph],
  ];
  if (use('warp')) {
    // Small rotation, then each corner moved independently (perspective and shear).
    const rot = gauss() * 2.2 * (Math.PI / 180),
      jitter = 0.01 + random() * 0.05;
    const [cx, cy] = [cw / 2, ch / 2];
    quad = quad.map(([x, y]) => {
      const dx = x - cx,
        dy = y - cy;
      return [
        cx + dx * Math.cos(rot) - dy * Math.sin(rot) + (random() - 0.5) * 2 * jitter * pw,
        cy + dx * Math.sin(rot) + dy * Math.cos(rot) + (random() - 0.5) * 2 * jitter * ph,
      ];
    });
    applied.push(`warp=${f2(jitter)}/${f2((rot * 180) / Math.PI)}`);
  }
  warpOnto(canvas, cw, ch, plate, pw, ph, quad);
  const rgb = Buffer.from(Uint8ClampedArray.from(canvas));
  let img = await sharp(rgb, { raw: { width: cw, height: ch, channels: 3 } })
    .resize(W, H, { fit: 'fill' })
    .raw()
    .toBuffer();

  // Light: dim and contrast, a shadow across part of the plate, or IR night.
  const px = new Float32Array(img);
  const ir = use('ir');
  if (ir) {
    const contrast = 1.5 + random() * 0.8,
      gain = 0.9 + random() * 0.3;
    for (let i = 0; i < px.length; i += 3) {
      const l = 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
      const v = clamp((l - 110) * contrast * gain + 128, 0, 255);
      px[i] = px[i + 1] = px[i + 2] = v;
    }
    // Bloom: the retro-reflective background glows into the characters.
    const bright = Buffer.alloc(W * H);
    for (let i = 0, j = 0; j < bright.length; i += 3, j++) bright[j] = clamp((px[i] - 180) * 3, 0, 255);
    const sigma = 0.8 + random() * 1.6,
      strength = 0.25 + random() * 0.35;
    const glow = await sharp(bright, { raw: { width: W, height: H, channels: 1 } })
      .blur(sigma)
      .raw()
      .toBuffer();
    for (let i = 0, j = 0; j < glow.length; i += 3, j++)
      px[i] = px[i + 1] = px[i + 2] = clamp(px[i] + glow[j] * strength, 0, 255);
    applied.push(`ir=${f2(contrast)}/${f2(sigma)}`);
  }
  if (use('dim')) {
    const light = 0.3 + random() * 0.45,
      contrast = 0.6 + random() * 0.5;
    for (let i = 0; i < px.length; i++) px[i] = ((px[i] - 128) * contrast + 128) * light;
    applied.push(`dim=${f2(light)}/${f2(contrast)}`);
  }
  if (use('shadow')) {
    // A straight shadow edge across the plate (a mirror, the barrier arm, the vehicle ahead).
    const a = random() * Math.PI,
      off = (random() - 0.5) * 0.6,
      depth = 0.35 + random() * 0.35;
    const [nx, ny] = [Math.cos(a), Math.sin(a)];
    for (let y = 0, i = 0; y < H; y++) {
      for (let x = 0; x < W; x++, i += 3) {
        if ((x / W - 0.5) * nx + (y / H - 0.5) * ny > off) for (let c = 0; c < 3; c++) px[i + c] *= 1 - depth;
      }
    }
    applied.push(`shadow=${f2(depth)}`);
  }
  img = Buffer.from(Uint8ClampedArray.from(px));

  let pipeline = sharp(img, { raw: { width: W, height: H, channels: 3 } });
  if (use('blur')) {
    const sigma = 0.3 + random() * 1.0 * Math.min(1, H / 40);
    pipeline = pipeline.blur(sigma);
    applied.push(`blur=${f2(sigma)}`);
  }
  if (use('motion')) {
    const n = 3 + 2 * Math.floor(random() * 2); // 3 or 5 px, horizontal
    pipeline = pipeline.convolve({
      width: n,
      height: 3,
      kernel: [...Array(n).fill(0), ...Array(n).fill(1), ...Array(n).fill(0)],
    }); // sharp wants an odd height >= 3
    applied.push(`motion=${n}`);
  }
  img = await pipeline.raw().toBuffer();
  if (use('noise')) {
    const sigma = 2 + random() * 10;
    for (let i = 0; i < img.length; i += 3) {
      if (ir) {
        const n = gauss() * sigma;
        for (let c = 0; c < 3; c++) img[i + c] = clamp(img[i + c] + n, 0, 255);
      } else {
        for (let c = 0; c < 3; c++) img[i + c] = clamp(img[i + c] + gauss() * sigma, 0, 255);
      }
    }
    applied.push(`noise=${f2(sigma)}`);
  }
  if (use('jpeg')) {
    const quality = 20 + Math.floor(random() * 70);
    const jpg = await sharp(img, { raw: { width: W, height: H, channels: 3 } })
      .jpeg({ quality })
      .toBuffer();
    img = await sharp(jpg).removeAlpha().raw().toBuffer();
    applied.push(`jpeg=${quality}`);
  }
  const png = await sharp(img, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toBuffer();
  return { png, width: W, height: H, augment: applied.length ? applied.join(';') : 'none' };
}
