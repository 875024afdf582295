// Synthetic detector scenes (issue 6, part 2): a background (procedural gate, road, vehicle
// close-up, wall or texture, or a user-supplied photo) with 0-3 plates pasted in under a known
// perspective, so their four corners are exact. Used by scripts/synth/scenes.mjs;
// docs/synthetic-data.md, "Detector scenes".
//
// A scene is made in two steps. `planScene(seed, index, opts)` draws everything random from
// (seed, index) alone: the background's kind and seed, the plate specs (scripts/synth/specs.mjs),
// their geometry, occlusion, blur and the global augmentations. The labels come from the plan, so
// `--resume` can relabel images already written without drawing them again. `renderScene(plan)`
// draws it; the pixel noise and textures use seeded streams of their own, so drawing the same
// plan without plates (`{ plates: false }`) gives the same background pixel for pixel.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { clamp, gaussianFrom, mulberry32, plateSvg } from '../lib/plate-art.mjs';
import { makeSpec, sampleSeed } from './specs.mjs';
import { bounds, invert3, mapPoint, squareToQuad, warpOnto } from './warp.mjs';

/** Bump when a change makes the same seed give different scenes or labels. */
export const SCENE_VERSION = '1.1.0';

/** Probabilities and ranges, recorded in the manifest. */
export const SCENE_RATES = {
  plates: { 0: 0.12, 1: 0.43, 2: 0.3, 3: 0.15 },
  // Two plates on one vehicle, side by side in one plane (a Chinese truck's plate and its
  // Vietnamese temporary plate): the gap between them over the first plate's width. The share
  // of scenes with 2-3 plates whose first two are a pair is `planScene`'s `pairs` option.
  pairGap: [0.05, 0.45],
  background: { gate: 0.4, closeup: 0.2, wall: 0.15, texture: 0.25 },
  userBackground: 0.5, // share of scenes on a --backgrounds image, when given
  plateWidth: [0.03, 0.35], // bounding-box width over image width, log-uniform
  yawDeg: 18,
  pitchDeg: 12,
  rollDeg: 6, // sigmas; clamped at 50, 35, 25 degrees
  surround: 0.6, // vehicle paint / plate holder around the plate
  dirt: 0.15,
  plateMotion: 0.15, // motion blur along the plate, 3-9 px
  occlusion: 0.15, // a bar or a blob over 8-35 % of the plate
  gradient: 0.6, // lighting gradient across the frame, up to +-45 %
  ir: 0.15, // IR night: grey, high contrast, retro-reflective plates glow
  dim: 0.25,
  blur: 0.2,
  cameraMotion: 0.08,
  noise: 0.8,
  lowJpeg: 0.35, // JPEG quality 25-70; otherwise 90
};

const f2 = (v) => Math.round(v * 100) / 100;
const deg = Math.PI / 180;

function weighted(random, entries) {
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let r = random() * total;
  for (const [v, w] of entries) if ((r -= w) < 0) return v;
  return entries.at(-1)[0];
}
const pick = (random, items) => items[Math.floor(random() * items.length)];
const between = (random, lo, hi) => lo + random() * (hi - lo);
const hex = (rgb) => `#${rgb.map((v) => clamp(Math.round(v), 0, 255).toString(16).padStart(2, '0')).join('')}`;
const randomColour = (random, lo = 20, hi = 235) => [0, 1, 2].map(() => between(random, lo, hi));
const shadeRgb = (rgb, f) => rgb.map((v) => clamp(f < 1 ? v * f : v + (255 - v) * (f - 1), 0, 255));

// ---------------------------------------------------------------------------------------------
// Geometry: see warp.mjs.

/**
 * Fills the region [u0, u1] x [v0, v1] of the plate's plane (unit square = the plate; values
 * outside it reach beyond the plate) with `rgb`, shaded from `top` to `bottom` factor. Edges are
 * softened over about one pixel. `mask`, if given, is cleared where the fill is opaque.
 */
function fillPlaneRect(canvas, W, H, m, [u0, v0, u1, v1], rgb, { top = 1, bottom = 1, alpha = 1, mask } = {}) {
  const quad = [mapPoint(m, u0, v0), mapPoint(m, u1, v0), mapPoint(m, u1, v1), mapPoint(m, u0, v1)];
  const inv = invert3(squareToQuad(quad));
  const [x0, y0, x1, y1] = bounds(quad, W, H);
  const edgeU = 1 / Math.max(1, Math.hypot(quad[1][0] - quad[0][0], quad[1][1] - quad[0][1]));
  const edgeV = 1 / Math.max(1, Math.hypot(quad[3][0] - quad[0][0], quad[3][1] - quad[0][1]));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const X = x + 0.5,
        Y = y + 0.5;
      const w = inv[6] * X + inv[7] * Y + inv[8];
      const u = (inv[0] * X + inv[1] * Y + inv[2]) / w,
        v = (inv[3] * X + inv[4] * Y + inv[5]) / w;
      const cover = clamp(Math.min(u, 1 - u) / edgeU + 0.5, 0, 1) * clamp(Math.min(v, 1 - v) / edgeV + 0.5, 0, 1);
      if (cover <= 0) continue;
      const a = cover * alpha,
        s = top + (bottom - top) * clamp(v, 0, 1);
      const d = (y * W + x) * 3;
      for (let c = 0; c < 3; c++) canvas[d + c] = canvas[d + c] * (1 - a) + rgb[c] * s * a;
      if (mask) mask[y * W + x] *= 1 - a;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Procedural backgrounds, as SVG (librsvg via sharp). Ideas from the demo clip's scene
// (scripts/render-demo-clip.mjs): sky, verges, a road converging to the horizon, lane lines,
// a gate-house and a barrier, plus vehicles without plates, walls, signs and clutter.

const SKIES = [
  ['#8fb9e0', '#dde8ef'],
  ['#aeb4ba', '#d9dcde'],
  ['#5a6d8f', '#e6a36b'],
  ['#6d8fb8', '#c8d6e0'],
  ['#3a4452', '#8a8f96'],
];
const PAINTS = [
  [28, 28, 30],
  [200, 202, 204],
  [238, 238, 236],
  [120, 20, 24],
  [24, 48, 110],
  [70, 74, 80],
  [150, 150, 146],
  [40, 90, 60],
  [210, 170, 40],
  [90, 60, 40],
];
const SIGN_WORDS = [
  'STOP',
  'SLOW',
  'CHECK',
  'EXIT',
  'CỬA KHẨU',
  'DỪNG LẠI',
  'KIỂM TRA',
  '入口',
  '出口',
  '边检',
  '海关',
  'LÀO CAI',
  'HÀ KHẨU',
  'P',
  'ONE WAY',
  '40',
];

function vehicleSvg(random, x, y, w, paint) {
  const h = w * between(random, 0.55, 0.85),
    c = hex(paint);
  const lamp = random() < 0.5 ? '#e9eef2' : '#f0a020';
  return `<g>
    <rect x="${x + w * 0.08}" y="${y + h * 0.85}" width="${w * 0.16}" height="${h * 0.2}" rx="${w * 0.02}" fill="#151515"/>
    <rect x="${x + w * 0.76}" y="${y + h * 0.85}" width="${w * 0.16}" height="${h * 0.2}" rx="${w * 0.02}" fill="#151515"/>
    <path d="M${x + w * 0.15} ${y} L${x + w * 0.85} ${y} L${x + w * 0.95} ${y + h * 0.42} L${x + w * 0.05} ${y + h * 0.42} Z" fill="${c}"/>
    <path d="M${x + w * 0.2} ${y + h * 0.05} L${x + w * 0.8} ${y + h * 0.05} L${x + w * 0.88} ${y + h * 0.38} L${x + w * 0.12} ${y + h * 0.38} Z" fill="#2c3a48"/>
    <rect x="${x}" y="${y + h * 0.4}" width="${w}" height="${h * 0.5}" rx="${w * 0.05}" fill="${c}"/>
    <rect x="${x + w * 0.05}" y="${y + h * 0.5}" width="${w * 0.2}" height="${h * 0.1}" fill="${lamp}"/>
    <rect x="${x + w * 0.75}" y="${y + h * 0.5}" width="${w * 0.2}" height="${h * 0.1}" fill="${lamp}"/>
    <rect x="${x + w * 0.32}" y="${y + h * 0.48}" width="${w * 0.36}" height="${h * 0.14}" fill="#1d1f22"/>
    <rect x="${x + w * 0.33}" y="${y + h * 0.7}" width="${w * 0.34}" height="${h * 0.12}" rx="2" fill="#202224"/>
    <rect x="${x}" y="${y + h * 0.84}" width="${w}" height="${h * 0.06}" fill="${hex(shadeRgb(paint, 0.7))}"/></g>`;
}

function signSvg(random, x, y, w) {
  const h = w * between(random, 0.25, 0.8);
  const [bg, ink] = pick(random, [
    ['#f4f4f0', '#1a1a1a'],
    ['#1f4fa8', '#f4f4f0'],
    ['#c0392b', '#f4f4f0'],
    ['#2e7d32', '#f4f4f0'],
    ['#f0bf1a', '#1a1a1a'],
  ]);
  const word = pick(random, SIGN_WORDS);
  const fs = Math.min(h * 0.6, (w * 1.5) / Math.max(2, [...word].length));
  return `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="${w * 0.04}" fill="${bg}" stroke="${ink}" stroke-width="${Math.max(1, w * 0.02)}"/>
    <text x="${x + w / 2}" y="${y + h / 2 + fs * 0.36}" font-family="DejaVu Sans, WenQuanYi Micro Hei" font-weight="bold" font-size="${fs}" text-anchor="middle" fill="${ink}">${word}</text>`;
}

function gateSvg(random, W, H) {
  const [skyTop, skyBottom] = pick(random, SKIES);
  const hy = H * between(random, 0.2, 0.55),
    vx = W * between(random, 0.15, 0.85);
  const spreadL = W * between(random, 0.7, 1.8),
    spreadR = W * between(random, 0.7, 1.8);
  const road = hex(randomColour(random, 70, 150).map((v, _, a) => (v + a[0]) / 2));
  const ground = pick(random, ['#7d9460', '#8b8270', '#a89f8a', '#5f7048', '#b9b6ad']);
  const atBottom = (f) => vx - spreadL + f * (spreadL + spreadR);
  let lines = '';
  for (const f of [0, 0.33, 0.66, 1]) {
    const xb = atBottom(f),
      dashed = f > 0 && f < 1;
    if (!dashed)
      lines += `<line x1="${vx}" y1="${hy}" x2="${xb}" y2="${H}" stroke="#eeeeea" stroke-width="${W * 0.008}"/>`;
    else
      lines += `<line x1="${vx}" y1="${hy}" x2="${xb}" y2="${H}" stroke="#e8e8e2" stroke-width="${W * 0.007}" stroke-dasharray="${W * 0.04} ${W * 0.05}"/>`;
  }
  let house = '';
  if (random() < 0.8) {
    const hx = random() < 0.5 ? W * between(random, -0.1, 0.25) : W * between(random, 0.55, 0.9);
    const hw = W * between(random, 0.2, 0.45),
      top = hy - H * between(random, 0.1, 0.35),
      bottom = hy + H * between(random, 0.02, 0.12);
    const wall = hex(randomColour(random, 150, 235)),
      roof = hex(randomColour(random, 60, 160));
    house += `<rect x="${hx}" y="${top}" width="${hw}" height="${bottom - top}" fill="${wall}"/>
      <polygon points="${hx - hw * 0.05},${top} ${hx + hw * 1.05},${top} ${hx + hw * 0.95},${top - H * 0.04} ${hx + hw * 0.05},${top - H * 0.04}" fill="${roof}"/>`;
    const nwin = 1 + Math.floor(random() * 4);
    for (let i = 0; i < nwin; i++)
      house += `<rect x="${hx + hw * (0.08 + i * (0.84 / nwin))}" y="${top + (bottom - top) * 0.2}" width="${(hw * 0.84) / nwin - hw * 0.04}" height="${(bottom - top) * 0.35}" fill="#9fc0d6" stroke="#6d6256" stroke-width="2"/>`;
    if (random() < 0.5) house += signSvg(random, hx + hw * 0.2, top - H * 0.12, hw * 0.6);
  }
  let canopy = '';
  if (random() < 0.4) {
    const cy = H * between(random, 0.02, 0.15),
      ch = H * between(random, 0.04, 0.1),
      colour = hex(randomColour(random, 120, 230));
    canopy = `<rect x="0" y="${cy}" width="${W}" height="${ch}" fill="${colour}"/>`;
    for (let i = 0; i < 3; i++)
      canopy += `<rect x="${W * (0.1 + i * 0.38)}" y="${cy + ch}" width="${W * 0.03}" height="${H - cy}" fill="${hex(randomColour(random, 150, 220))}"/>`;
  }
  let barrier = '';
  if (random() < 0.7) {
    const bx = W * between(random, 0.1, 0.9),
      by = hy + (H - hy) * between(random, 0.1, 0.6),
      len = W * between(random, 0.2, 0.6);
    const angle = random() < 0.5 ? 0 : -between(random, 30, 85);
    barrier = `<rect x="${bx - W * 0.015}" y="${by - H * 0.1}" width="${W * 0.03}" height="${H * 0.12}" fill="#e6e2d8"/>
      <g transform="translate(${bx} ${by - H * 0.08}) rotate(${angle})">${Array.from({ length: 8 }, (_, i) => `<rect x="${(i * len) / 8}" y="${-H * 0.008}" width="${len / 8}" height="${H * 0.016}" fill="${i % 2 ? '#c0392b' : '#f4f4f0'}"/>`).join('')}</g>`;
  }
  let trees = '';
  for (let i = Math.floor(random() * 6); i > 0; i--) {
    const r = W * between(random, 0.02, 0.07);
    trees += `<ellipse cx="${W * random()}" cy="${hy - r * 0.6}" rx="${r}" ry="${r * 0.8}" fill="${pick(random, ['#4d6a3e', '#3e5a32', '#5c7a48'])}"/>`;
  }
  let vehicles = '';
  for (let i = Math.floor(random() * 3); i > 0; i--) {
    const w = W * between(random, 0.1, 0.5);
    vehicles += vehicleSvg(
      random,
      W * between(random, -0.2, 0.9),
      hy + (H - hy) * between(random, -0.3, 0.5),
      w,
      pick(random, PAINTS),
    );
  }
  return `<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${skyTop}"/><stop offset="1" stop-color="${skyBottom}"/></linearGradient></defs>
    <rect width="${W}" height="${hy}" fill="url(#sky)"/>
    <rect y="${hy}" width="${W}" height="${H - hy}" fill="${ground}"/>
    <polygon points="${vx},${hy} ${atBottom(-0.05)},${H} ${atBottom(1.05)},${H}" fill="${road}"/>
    ${lines}${trees}${house}${barrier}${vehicles}${canopy}`;
}

function closeupSvg(random, W, H) {
  const paint = pick(random, PAINTS),
    c = hex(paint);
  let svg = `<defs><linearGradient id="paint" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${hex(shadeRgb(paint, 1.25))}"/><stop offset="0.55" stop-color="${c}"/><stop offset="1" stop-color="${hex(shadeRgb(paint, 0.65))}"/></linearGradient></defs>
    <rect width="${W}" height="${H}" fill="url(#paint)"/>`;
  const gy = H * between(random, 0.1, 0.5),
    gh = H * between(random, 0.1, 0.3),
    gx = W * between(random, 0.1, 0.35);
  svg += `<rect x="${gx}" y="${gy}" width="${W - 2 * gx}" height="${gh}" rx="${W * 0.02}" fill="#1d1f22"/>`;
  const bars = 3 + Math.floor(random() * 8);
  for (let i = 0; i < bars; i++)
    svg += `<rect x="${gx + W * 0.01}" y="${gy + ((i + 0.5) * gh) / bars}" width="${W - 2 * gx - W * 0.02}" height="${gh / bars / 3}" fill="${pick(random, ['#3a3d42', '#8d9096', '#c9ccd0'])}"/>`;
  for (const x of [W * between(random, -0.1, 0.1), W * between(random, 0.7, 0.9)]) {
    svg += `<ellipse cx="${x + W * 0.1}" cy="${gy + gh / 2}" rx="${W * between(random, 0.06, 0.14)}" ry="${H * between(random, 0.03, 0.08)}" fill="${pick(random, ['#e9eef2', '#f0e6c0', '#d8dde2'])}" stroke="#555" stroke-width="3"/>`;
  }
  const by = gy + gh + H * between(random, 0.05, 0.2);
  svg += `<rect x="0" y="${by}" width="${W}" height="${H * between(random, 0.1, 0.3)}" fill="${hex(shadeRgb(paint, 0.75))}"/>`;
  if (random() < 0.6)
    svg += `<rect x="${W * between(random, 0.25, 0.45)}" y="${by + H * 0.03}" width="${W * between(random, 0.15, 0.35)}" height="${H * between(random, 0.05, 0.12)}" rx="4" fill="#1a1b1d"/>`;
  return svg;
}

function wallSvg(random, W, H) {
  const base = randomColour(random, 90, 220),
    mortar = hex(shadeRgb(base, between(random, 0.5, 1.3)));
  const bw = W * between(random, 0.04, 0.15),
    bh = bw * between(random, 0.3, 0.6);
  const corrugated = random() < 0.4;
  let svg = corrugated
    ? `<defs><pattern id="p" width="${bw / 2}" height="${H}" patternUnits="userSpaceOnUse"><rect width="${bw / 4}" height="${H}" fill="${hex(base)}"/><rect x="${bw / 4}" width="${bw / 4}" height="${H}" fill="${hex(shadeRgb(base, 0.8))}"/></pattern></defs>`
    : `<defs><pattern id="p" width="${bw}" height="${bh * 2}" patternUnits="userSpaceOnUse"><rect width="${bw}" height="${bh * 2}" fill="${hex(base)}"/><path d="M0 ${bh} H${bw} M0 ${bh * 2} H${bw} M${bw / 2} 0 V${bh} M0 ${bh} V${bh * 2}" stroke="${mortar}" stroke-width="${Math.max(1, bh * 0.12)}"/></pattern></defs>`;
  svg += `<rect width="${W}" height="${H}" fill="url(#p)"/>`;
  if (random() < 0.5)
    svg += `<rect y="${H * between(random, 0.6, 0.9)}" width="${W}" height="${H}" fill="${hex(randomColour(random, 60, 140))}"/>`;
  for (let i = Math.floor(random() * 4); i > 0; i--)
    svg += signSvg(
      random,
      W * between(random, -0.1, 0.8),
      H * between(random, 0, 0.8),
      W * between(random, 0.08, 0.35),
    );
  for (let i = Math.floor(random() * 3); i > 0; i--)
    svg += `<rect x="${W * random()}" y="${H * random()}" width="${W * between(random, 0.02, 0.2)}" height="${H * between(random, 0.1, 0.6)}" fill="${hex(randomColour(random))}"/>`;
  return svg;
}

function textureSvg(random, W, H) {
  let svg = `<rect width="${W}" height="${H}" fill="${hex(randomColour(random))}"/>`;
  for (let i = 20 + Math.floor(random() * 50); i > 0; i--) {
    const colour = hex(randomColour(random, 0, 255)),
      op = between(random, 0.3, 1).toFixed(2);
    const x = W * random(),
      y = H * random(),
      s = W * between(random, 0.01, 0.3);
    const shape = random();
    if (shape < 0.35)
      svg += `<rect x="${x}" y="${y}" width="${s}" height="${s * between(random, 0.1, 3)}" fill="${colour}" opacity="${op}" transform="rotate(${(random() * 180).toFixed(0)} ${x} ${y})"/>`;
    else if (shape < 0.6)
      svg += `<ellipse cx="${x}" cy="${y}" rx="${s}" ry="${s * between(random, 0.2, 1)}" fill="${colour}" opacity="${op}"/>`;
    else if (shape < 0.8)
      svg += `<line x1="${x}" y1="${y}" x2="${W * random()}" y2="${H * random()}" stroke="${colour}" stroke-width="${between(random, 1, W * 0.02)}" opacity="${op}"/>`;
    else if (shape < 0.92)
      svg += `<polygon points="${x},${y} ${x + s},${y + s * between(random, -1, 1)} ${x + s * between(random, -1, 1)},${y + s}" fill="${colour}" opacity="${op}"/>`;
    else svg += signSvg(random, x, y, s);
  }
  return svg;
}

const BACKGROUNDS = { gate: gateSvg, closeup: closeupSvg, wall: wallSvg, texture: textureSvg };

/** Image files in `dir` (jpg, jpeg, png, webp), sorted, for `--backgrounds`. */
export function listBackgrounds(dir) {
  return readdirSync(dir)
    .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
    .sort()
    .map((f) => join(dir, f));
}

// ---------------------------------------------------------------------------------------------
// The plan.

/**
 * Projected corners of a plate of aspect `aspect` (height / width, one unit wide, centred on the
 * origin) under yaw, pitch, roll; or of `rect` [x0, y0, x1, y1] in the same plane (a pair's
 * second plate).
 */
function projectPlate(aspect, yaw, pitch, roll, distance, rect = [-0.5, -aspect / 2, 0.5, aspect / 2]) {
  const [cy, sy, cp, sp, cr, sr] = [
    Math.cos(yaw),
    Math.sin(yaw),
    Math.cos(pitch),
    Math.sin(pitch),
    Math.cos(roll),
    Math.sin(roll),
  ];
  const [x0, y0, x1, y1] = rect;
  return [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
  ].map(([x, y]) => {
    // Rx(pitch), then Ry(yaw), then Rz(roll); the camera looks along +z from `distance`.
    let [X, Y, Z] = [x, y * cp, y * sp];
    [X, Z] = [X * cy + Z * sy, -X * sy + Z * cy];
    [X, Y] = [X * cr - Y * sr, X * sr + Y * cr];
    return [X / (Z + distance), Y / (Z + distance)];
  });
}

/**
 * Everything random about scene `index` of a run seeded `seed`: a plain object (JSON) that
 * `renderScene` draws and `sceneLabel` labels. `opts`: `width`, `height`, `kinds` (synth kinds),
 * `backgrounds` (image paths, or none).
 */
export function planScene(seed, index, { width: W, height: H, kinds, backgrounds = [], pairs = 0 }) {
  const random = mulberry32(sampleSeed(seed, index, 20));
  const gauss = () => gaussianFrom(random);
  const R = SCENE_RATES;
  const background =
    backgrounds.length && random() < R.userBackground
      ? {
          kind: 'image',
          file: backgrounds[Math.floor(random() * backgrounds.length)],
          zoom: between(random, 1, 1.6),
          fx: random(),
          fy: random(),
          flip: random() < 0.5,
        }
      : { kind: weighted(random, Object.entries(R.background)), seed: sampleSeed(seed, index, 21) };
  const wanted = Number(weighted(random, Object.entries(R.plates)));
  const plates = [];
  const taken = [];
  for (let k = 0; k < wanted; k++) {
    const spec = makeSpec(sampleSeed(seed, index, 22), k, kinds);
    const { mm } = plateSvg(spec);
    const aspect = mm[1] / mm[0];
    const [lo, hi] = R.plateWidth;
    const boxW = W * Math.exp(between(random, Math.log(lo), Math.log(hi)));
    const yaw = clamp(gauss() * R.yawDeg, -50, 50) * deg,
      pitch = clamp(gauss() * R.pitchDeg, -35, 35) * deg,
      roll = clamp(gauss() * R.rollDeg, -25, 25) * deg;
    const distance = between(random, 1.3, 6);
    const raw = projectPlate(aspect, yaw, pitch, roll, distance);
    // The pair's second plate: the next plate's spec, at its real size beside this one in
    // its plane, centres level give or take a tenth of a height, left or right.
    let pair = null;
    // No draw at all without pairs: `pairs: 0` plans exactly the scenes of version 1.0.0.
    if (pairs > 0 && k === 0 && wanted >= 2 && random() < pairs) {
      const spec2 = makeSpec(sampleSeed(seed, index, 22), 1, kinds);
      const mm2 = plateSvg(spec2).mm;
      const w2 = mm2[0] / mm[0],
        h2 = mm2[1] / mm[0];
      const gap = between(random, R.pairGap[0], R.pairGap[1]),
        dy = between(random, -0.1, 0.1) * aspect;
      const x0 = random() < 0.5 ? 0.5 + gap : -0.5 - gap - w2;
      pair = {
        spec: spec2,
        mm: mm2,
        raw: projectPlate(aspect, yaw, pitch, roll, distance, [x0, dy - h2 / 2, x0 + w2, dy + h2 / 2]),
      };
      k++;
    }
    const xs = raw.map((p) => p[0]);
    const scale = boxW / (Math.max(...xs) - Math.min(...xs));
    // Placed (and kept clear of other plates) as one: the pair's union box.
    const all = pair ? [...raw, ...pair.raw] : raw;
    const ax = all.map((p) => p[0]),
      ay = all.map((p) => p[1]);
    const bw = (Math.max(...ax) - Math.min(...ax)) * scale,
      bh = (Math.max(...ay) - Math.min(...ay)) * scale;
    const surround =
      random() < R.surround
        ? {
            paint: pick(random, PAINTS),
            reach: [
              between(random, 0.04, 0.5),
              between(random, 0.08, 0.9),
              between(random, 0.04, 0.5),
              between(random, 0.08, 0.7),
            ],
            holder: random() < 0.4 ? between(random, 0.015, 0.05) : 0,
            top: between(random, 0.8, 1.25),
            bottom: between(random, 0.6, 1),
          }
        : null;
    const dirt = random() < R.dirt ? 3 + Math.floor(random() * 10) : 0;
    const motion = random() < R.plateMotion ? 3 + 2 * Math.floor(random() * 4) : 0;
    let occluder = null;
    if (random() < R.occlusion) {
      if (random() < 0.5) {
        const w = between(random, 0.08, 0.3),
          u = between(random, 0, 1 - w);
        occluder = { shape: 'bar', rect: [u, -0.6, u + w, 1.6], covered: w };
      } else {
        const w = between(random, 0.25, 0.5),
          h = between(random, 0.35, 0.7),
          right = random() < 0.5,
          bottom = random() < 0.5;
        const u0 = right ? 1 - w : -0.2,
          v0 = bottom ? 1 - h : -0.3;
        occluder = { shape: 'blob', rect: [u0, v0, right ? 1.2 : w, bottom ? 1.3 : h], covered: w * h };
      }
      occluder.colour = random() < 0.4 ? pick(random, PAINTS) : randomColour(random);
      occluder.covered = f2(occluder.covered);
    }
    const light = between(random, 0.7, 1.08);
    // Somewhere inside the frame, not over a plate placed before (20 tries, else left out).
    let placed = null;
    for (let t = 0; t < 20 && !placed && bw < W - 2 && bh < H - 2; t++) {
      const x = between(random, 1, W - 1 - bw),
        y = between(random, 1, H - 1 - bh);
      const pad = 0.15 * Math.max(bw, bh);
      if (taken.every(([a, b, c, d]) => x + bw + pad < a || x - pad > a + c || y + bh + pad < b || y - pad > b + d))
        placed = [x, y];
    }
    if (!placed) continue;
    taken.push([placed[0], placed[1], bw, bh]);
    const minX = Math.min(...ax),
      minY = Math.min(...ay);
    const toImage = (quad) =>
      quad.map(([x, y]) => [f2(placed[0] + (x - minX) * scale), f2(placed[1] + (y - minY) * scale)]);
    const angles = [yaw, pitch, roll].map((a) => f2(a / deg));
    plates.push({ spec, mm, corners: toImage(raw), surround, dirt, motion, occluder, light: f2(light), angles });
    // The second plate shares the vehicle (no surround of its own: the first one's paint is behind both), light and blur.
    if (pair)
      plates.push({
        spec: pair.spec,
        mm: pair.mm,
        corners: toImage(pair.raw),
        surround: null,
        dirt: 0,
        motion,
        occluder: null,
        light: f2(light),
        angles,
        pairedWith: plates.length - 1,
      });
  }
  const fx = {
    gradient: random() < R.gradient ? { angle: random() * 2 * Math.PI, amount: between(random, 0.1, 0.45) } : null,
    ir: random() < R.ir ? { contrast: between(random, 1.4, 2.2), glow: between(random, 1.2, 1.6) } : null,
    dim: random() < R.dim ? { light: between(random, 0.3, 0.7), contrast: between(random, 0.6, 1.05) } : null,
    blur: random() < R.blur ? between(random, 0.4, 1.2) : 0,
    cameraMotion: random() < R.cameraMotion ? 3 + 2 * Math.floor(random() * 3) : 0,
    noise: random() < R.noise ? between(random, 2, 12) : 0,
    quality: random() < R.lowJpeg ? 25 + Math.floor(random() * 46) : 90,
    texture: between(random, 0, 0.35),
    seed: sampleSeed(seed, index, 23),
  };
  return { index, width: W, height: H, background, plates, fx };
}

/** The scene's label line (labels.jsonl) for image path `image`. */
export function sceneLabel(plan, image) {
  return {
    image,
    width: plan.width,
    height: plan.height,
    plates: plan.plates.map((p) => {
      const xs = p.corners.map((c) => c[0]),
        ys = p.corners.map((c) => c[1]);
      const x0 = Math.min(...xs),
        y0 = Math.min(...ys);
      return {
        text: p.spec.text,
        display: p.spec.display,
        country: p.spec.country,
        kind: p.spec.kind,
        rows: p.spec.rows.length,
        corners: p.corners,
        box: [x0, y0, f2(Math.max(...xs) - x0), f2(Math.max(...ys) - y0)],
        synth_kind: p.spec.synthKind,
        colour: p.spec.colour,
        occluded: p.occluder ? p.occluder.covered : 0,
        angles: p.angles,
        ...(p.pairedWith !== undefined ? { paired_with: p.pairedWith } : {}),
      };
    }),
    background: plan.background.kind,
  };
}

/** YOLO (Ultralytics pose, kpt_shape [4, 2]) lines: class = rows - 1, cx cy w h, then the 4 corners, all normalised. */
export function yoloLines(label) {
  const n = (v, d) => clamp(v / d, 0, 1).toFixed(6);
  return (
    label.plates
      .map((p) => {
        const [x, y, w, h] = p.box;
        return [
          p.rows - 1,
          n(x + w / 2, label.width),
          n(y + h / 2, label.height),
          n(w, label.width),
          n(h, label.height),
          ...p.corners.flatMap(([cx, cy]) => [n(cx, label.width), n(cy, label.height)]),
        ].join(' ');
      })
      .join('\n') + (label.plates.length ? '\n' : '')
  );
}

// ---------------------------------------------------------------------------------------------
// Drawing.

function dirtShapes([wmm, hmm], random, n) {
  let blobs = '';
  for (let i = 0; i < n; i++) {
    const cx = random() * wmm,
      cy = random() * hmm;
    blobs += `<ellipse cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" rx="${(6 + random() * 30).toFixed(1)}" ry="${(4 + random() * 14).toFixed(1)}" fill="${random() < 0.6 ? '#5b4330' : '#7a6a55'}" opacity="${(0.25 + random() * 0.35).toFixed(2)}"/>`;
  }
  return blobs;
}

async function backgroundPixels(bg, W, H) {
  if (bg.kind === 'image') {
    const meta = await sharp(bg.file).metadata();
    const cover = Math.max(W / meta.width, H / meta.height) * bg.zoom;
    const sw = Math.max(W, Math.round(meta.width * cover)),
      sh = Math.max(H, Math.round(meta.height * cover));
    let img = sharp(bg.file).rotate().removeAlpha().resize(sw, sh, { fit: 'fill' });
    if (bg.flip) img = img.flop();
    const left = Math.floor(bg.fx * (sw - W)),
      top = Math.floor(bg.fy * (sh - H));
    return sharp(await img.raw().toBuffer(), { raw: { width: sw, height: sh, channels: 3 } })
      .extract({ left, top, width: W, height: H })
      .raw()
      .toBuffer();
  }
  const random = mulberry32(bg.seed);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${BACKGROUNDS[bg.kind](random, W, H)}</svg>`;
  return sharp(Buffer.from(svg)).removeAlpha().resize(W, H, { fit: 'fill' }).raw().toBuffer();
}

/**
 * Draws `plan` as a JPEG (quality from the plan). `{ plates: false }` leaves the plates out
 * (and everything that goes with them: surround, occluders, IR glow) but keeps every other pixel.
 */
export async function renderScene(plan, { plates: withPlates = true, raw = false } = {}) {
  const { width: W, height: H, fx } = plan;
  const random = mulberry32(fx.seed);
  const canvas = Float32Array.from(await backgroundPixels(plan.background, W, H));
  // Blotchy low-frequency texture: a small random grid, smoothly enlarged.
  const grid = Buffer.from(Array.from({ length: 16 * 16 }, () => Math.floor(random() * 256)));
  const blotch = await sharp(grid, { raw: { width: 16, height: 16, channels: 1 } })
    .resize(W, H, { kernel: 'cubic' })
    .raw()
    .toBuffer();
  for (let i = 0, j = 0; j < blotch.length; i += 3, j++) {
    const f = 1 + fx.texture * (blotch[j] / 255 - 0.5);
    canvas[i] *= f;
    canvas[i + 1] *= f;
    canvas[i + 2] *= f;
  }
  const mask = new Float32Array(W * H);
  if (withPlates) {
    for (const [k, p] of plan.plates.entries()) {
      const pr = mulberry32(sampleSeed(fx.seed, k, 24));
      const m = squareToQuad(p.corners);
      if (p.surround) {
        const [l, t, r, b] = p.surround.reach;
        fillPlaneRect(canvas, W, H, m, [-l, -t, 1 + r, 1 + b], p.surround.paint, {
          top: p.surround.top,
          bottom: p.surround.bottom,
        });
        const hw = p.surround.holder;
        if (hw) fillPlaneRect(canvas, W, H, m, [-hw, -hw * 3, 1 + hw, 1 + hw * 3], [22, 22, 24]);
      }
      // The plate raster, a little larger than it appears, so the warp only shrinks it.
      const top = Math.hypot(p.corners[1][0] - p.corners[0][0], p.corners[1][1] - p.corners[0][1]);
      const bottom = Math.hypot(p.corners[2][0] - p.corners[3][0], p.corners[2][1] - p.corners[3][1]);
      const pw = Math.max(16, Math.round(Math.max(top, bottom) * 1.25)),
        ph = Math.max(8, Math.round((pw * p.mm[1]) / p.mm[0]));
      const { svg } = plateSvg(p.spec);
      const drawn = p.dirt ? svg.replace(/<\/svg>$/, `${dirtShapes(p.mm, pr, p.dirt)}</svg>`) : svg;
      let pipeline = sharp(Buffer.from(drawn), { density: (72 * pw) / (p.mm[0] * 2) })
        .resize(pw, ph, { fit: 'fill' })
        .ensureAlpha();
      if (p.motion) {
        const n = Math.min(p.motion, Math.max(3, Math.floor(pw / 20) | 1));
        pipeline = sharp(await pipeline.raw().toBuffer(), { raw: { width: pw, height: ph, channels: 4 } }).convolve({
          width: n,
          height: 3,
          kernel: [...Array(n).fill(0), ...Array(n).fill(1), ...Array(n).fill(0)],
        });
      }
      const plate = await pipeline.raw().toBuffer();
      for (let i = 0; i < plate.length; i += 4)
        for (let c = 0; c < 3; c++) plate[i + c] = clamp(plate[i + c] * p.light, 0, 255);
      warpOnto(canvas, W, H, plate, pw, ph, p.corners, mask);
      if (p.occluder)
        fillPlaneRect(canvas, W, H, m, p.occluder.rect, p.occluder.colour, { top: 1.1, bottom: 0.8, mask });
    }
  }
  // Light across the frame.
  if (fx.gradient) {
    const [nx, ny] = [Math.cos(fx.gradient.angle), Math.sin(fx.gradient.angle)];
    for (let y = 0, i = 0; y < H; y++) {
      for (let x = 0; x < W; x++, i += 3) {
        const f = 1 + fx.gradient.amount * ((x / W - 0.5) * nx + (y / H - 0.5) * ny) * 2;
        canvas[i] *= f;
        canvas[i + 1] *= f;
        canvas[i + 2] *= f;
      }
    }
  }
  if (fx.ir) {
    // IR night: grey, hard contrast, the retro-reflective plates much brighter than the scene.
    for (let i = 0, j = 0; j < mask.length; i += 3, j++) {
      const l = 0.299 * canvas[i] + 0.587 * canvas[i + 1] + 0.114 * canvas[i + 2];
      const v =
        clamp((l - 120) * fx.ir.contrast + 90, 0, 255) * (1 + (fx.ir.glow - 1) * mask[j]) * (1 - 0.35 * (1 - mask[j]));
      canvas[i] = canvas[i + 1] = canvas[i + 2] = v;
    }
  }
  if (fx.dim)
    for (let i = 0; i < canvas.length; i++) canvas[i] = ((canvas[i] - 128) * fx.dim.contrast + 128) * fx.dim.light;
  let img = Buffer.from(Uint8ClampedArray.from(canvas));
  if (fx.blur || fx.cameraMotion) {
    let pipeline = sharp(img, { raw: { width: W, height: H, channels: 3 } });
    if (fx.blur) pipeline = pipeline.blur(fx.blur);
    if (fx.cameraMotion) {
      const n = fx.cameraMotion;
      pipeline = pipeline.convolve({
        width: n,
        height: 3,
        kernel: [...Array(n).fill(0), ...Array(n).fill(1), ...Array(n).fill(0)],
      });
    }
    img = await pipeline.raw().toBuffer();
  }
  if (fx.noise) {
    const noise = mulberry32(sampleSeed(fx.seed, 0, 25));
    const grey = !!fx.ir;
    for (let i = 0; i < img.length; i += 3) {
      if (grey) {
        const n = (noise() + noise() - 1) * 2.45 * fx.noise; // triangular, sd = sigma
        img[i] = img[i + 1] = img[i + 2] = clamp(img[i] + n, 0, 255);
      } else {
        for (let c = 0; c < 3; c++) img[i + c] = clamp(img[i + c] + (noise() + noise() - 1) * 2.45 * fx.noise, 0, 255);
      }
    }
  }
  if (raw) return img;
  return sharp(img, { raw: { width: W, height: H, channels: 3 } })
    .jpeg({ quality: fx.quality })
    .toBuffer();
}
