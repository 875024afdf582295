#!/usr/bin/env node
// Renders the demo's lane clips: synthetic Vietnamese and Chinese plates on simple vehicles that
// drive up to a barrier, stop ~2 s and leave, in 5 s slots; the first and last frames are the
// empty road, so a clip loops. Two scenes, 45 s each so they stay in step when looped side by
// side: `entry` (lane-1, the border gate: nine vehicles, one every 5 s) and `exit` (lane-2, the
// exit of the yard behind it: four of those vehicles leaving, timed against lane-1's, see
// docs/demo-clip.md). A third, `track`, is the lane test track of `npm run bench:lane`: 35
// vehicles with seeded plates (scripts/lib/track-vehicles.mjs), each under a harder condition
// (scripts/lib/clip-conditions.mjs). Writes an H.264 MP4 (1280x720, 10 fps) and a sidecar JSON
// with each vehicle's plate and time windows, which tests use as ground truth.
//
//   node scripts/render-demo-clip.mjs [--scene entry|exit|track] [--out FILE.mp4] [--vehicles N] [--frames-dir DIR] [--every N] [--seed N]
//
// Plain ESM JavaScript (no build needed, except `track`, whose plate texts come from the built
// grammar); needs sharp and ffmpeg (/usr/bin/ffmpeg or on PATH).
// Fonts by fontconfig name: "DejaVu Sans" (bold, squeezed) and "WenQuanYi Micro Hei" (CJK).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import {
  CONDITION_NOTES,
  frameEffects,
  plateOverlay,
  plateTilt,
  treatBackground,
  treatSprite,
} from './lib/clip-conditions.mjs';
import { clamp, gaussianFrom, mulberry32, plateSvg, renderPlate, smallestCharMm } from './lib/plate-art.mjs';
import { TRACK_VEHICLES, trackVehicles } from './lib/track-vehicles.mjs';

const W = 1280,
  H = 720,
  FPS = 10;
const SLOT = 5,
  GAP = 0.3,
  APPROACH = 2.0,
  STOP = 1.8,
  EXIT = 0.8; // seconds; GAP+APPROACH+STOP+EXIT = SLOT - 1 frame
const HORIZON = 200,
  VP_X = 660,
  LANE_X = 640,
  STOP_Y = 665; // stop: vehicle's bottom edge, lane centre at the frame's bottom
const Z_STOP = 8,
  Z_FAR = 110; // metres: perspective scale = Z_STOP / Z

// The vehicles, in order. `plate: null` marks the mud-covered plate nobody should read;
// `second` is a second plate beside the first (a Chinese truck's Vietnamese temporary plate).
const VEHICLES = [
  {
    body: 'car-front',
    colour: '#b8bcc2',
    plate: { display: '29C-123.45', country: 'VN', kind: 'car', layout: 'one-row', colour: 'white' },
  },
  {
    body: 'bike-rear',
    colour: '#1f3f8f',
    plate: { display: '59-P1 664.80', country: 'VN', kind: 'motorbike', layout: 'two-row', colour: 'white' },
  },
  {
    body: 'car-front',
    colour: '#ececea',
    plate: { display: '云A·12345', country: 'CN', kind: 'ordinary', layout: 'one-row', colour: 'blue' },
  },
  {
    body: 'truck-front',
    colour: '#2f7d4f',
    plate: { display: '25C-012.34', country: 'VN', kind: 'commercial', layout: 'one-row', colour: 'yellow' },
  },
  {
    body: 'truck-rear',
    colour: '#d9d4c7',
    plate: { display: '云A·54321', country: 'CN', kind: 'ordinary', layout: 'two-row', colour: 'yellow' },
  },
  {
    body: 'car-front',
    colour: '#23324a',
    plate: { display: '云A·D12345', country: 'CN', kind: 'new-energy', layout: 'one-row', colour: 'green' },
  },
  {
    body: 'car-front',
    colour: '#8a6a48',
    plate: null,
    mud: { display: '51G-678.90', country: 'VN', layout: 'one-row', colour: 'white' },
  },
  {
    body: 'car-front',
    colour: '#a3232a',
    plate: { display: '25A-111.22', country: 'VN', kind: 'car', layout: 'one-row', colour: 'white' },
  },
  {
    body: 'truck-front',
    colour: '#b8452e',
    plate: { display: '云A·68420', country: 'CN', kind: 'ordinary', layout: 'one-row', colour: 'yellow' },
    second: { display: 'T25-135.79', country: 'VN', kind: 'temporary', layout: 'one-row', colour: 'white' },
  },
];
// The exit of the yard: the vehicles lane-1 lets in (the allowed ones) leave again, each in its
// 5 s slot (null: no vehicle), the whole 0.8 s later than lane-1's slots. Timed against lane-1's
// clip, which starts with them (docs/demo-clip.md): the truck leaves just as lane-1 holds the blue
// car for want of room, and the grey car leaves last, after its dwell raised the overstay alarm.
const byPlate = (text) => VEHICLES.find((v) => v.plate && canonical(v.plate.display) === text);
const SCENES = {
  entry: { slots: VEHICLES, leadFrames: 0, seed: 20240611, clip: 'lane-1.mp4' },
  exit: {
    slots: [
      null,
      null,
      byPlate('云A68420'),
      byPlate('59P166480'),
      byPlate('云A12345'),
      null,
      null,
      byPlate('29C12345'),
      null,
    ],
    leadFrames: 8,
    seed: 20240612,
    clip: 'lane-2.mp4',
  },
  // The lane test track: its vehicles are made from the seed (trackVehicles), on lane-1's road.
  track: { slots: null, leadFrames: 0, seed: 20261204, clip: 'track.mp4' },
};
/** A plate counts as readable once its smallest characters are this tall, wholly in the frame. */
const MIN_CHAR_PX = 12;

// Two plates on one bumper, at one scale (the CN plate 200 px wide, the longer VN plate wider),
// their centres this far either side of the body's plate centre.
const PAIR_PX_PER_MM = 200 / 440,
  PAIR_OFFSET = 190;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    scene: { type: 'string', default: 'entry' },
    out: { type: 'string' },
    vehicles: { type: 'string' },
    'frames-dir': { type: 'string' },
    every: { type: 'string', default: '10' },
    seed: { type: 'string' },
  },
});
if (!Object.hasOwn(SCENES, values.scene)) fail(`--scene: expected ${Object.keys(SCENES).join(' or ')}`);
const scene = SCENES[values.scene];
const isTrack = values.scene === 'track';
// The track has as many vehicles as asked for (up to 63, every plate type under every condition).
const sceneVehicles = isTrack ? Number(values.vehicles ?? TRACK_VEHICLES) : scene.slots.filter(Boolean).length;
const out = resolve(values.out ?? positionals[0] ?? join(root, '.cache/demo', scene.clip));
const count = Number(values.vehicles ?? sceneVehicles);
const most = isTrack ? 63 : sceneVehicles;
if (!Number.isInteger(count) || count < 1 || count > most) fail(`--vehicles: expected 1..${most}`);
const every = Math.max(1, Number(values.every) || 10);
const seed = Number(values.seed ?? scene.seed);
if (isTrack) scene.slots = await trackVehicles(seed, count);
const random = mulberry32(seed >>> 0);
const ffmpegPath = existsSync('/usr/bin/ffmpeg') ? '/usr/bin/ffmpeg' : 'ffmpeg';

// ---------------------------------------------------------------------------------------------
// Motion: each vehicle owns a 5 s slot. "toward" vehicles come from the far end, decelerate,
// stop, then pass under the camera; "away" vehicles (rear plates) play the same path backwards.

/** Where the vehicle is at `t` seconds into its slot: scale (1 = stopped), bottom-centre, opacity. */
function poseAt(direction, t, spriteH) {
  const total = APPROACH + STOP + EXIT;
  const m = direction === 'toward' ? t - GAP : total - t;
  if (m < -1e-9 || m > total + 1e-9) return null;
  if (m <= APPROACH) {
    const p = m / APPROACH,
      eased = 1 - (1 - p) ** 2;
    const scale = Z_STOP / (Z_FAR + (Z_STOP - Z_FAR) * eased);
    const bottom = HORIZON + (STOP_Y - HORIZON) * scale; // ground contact follows the perspective
    return { scale, bottom, alpha: Math.min(1, m / 0.4), stopped: m >= APPROACH - 1e-9 };
  }
  if (m <= APPROACH + STOP + 1e-9) return { scale: 1, bottom: STOP_Y, alpha: 1, stopped: true };
  const e = ((m - APPROACH - STOP) / EXIT) ** 2; // accelerates away under the camera
  const scale = 1 + 0.3 * e;
  return { scale, bottom: STOP_Y + e * (H + 1.3 * spriteH + 20 - STOP_Y), alpha: 1, stopped: false };
}

const laneX = (y) => VP_X + (LANE_X - VP_X) * ((y - HORIZON) / (H - HORIZON));

// ---------------------------------------------------------------------------------------------
// Plates: SVG in millimetres, rendered 4x, shrunk to size, then softened and speckled
// (scripts/lib/plate-art.mjs, shared with the synthetic plate generator).

// ---------------------------------------------------------------------------------------------
// Vehicles: flat SVG drawings at their stopped size; `plate` is where the plate's centre goes.

function shade(hex, f) {
  const n = parseInt(hex.slice(1), 16);
  const ch = (v) =>
    clamp(Math.round(f < 1 ? v * f : v + (255 - v) * (f - 1)), 0, 255)
      .toString(16)
      .padStart(2, '0');
  return `#${ch(n >> 16)}${ch((n >> 8) & 255)}${ch(n & 255)}`;
}

const shadowDef = `<filter id="soft" x="-10%" y="-50%" width="120%" height="200%"><feGaussianBlur stdDeviation="6"/></filter>`;
const bodyGradient = (c) =>
  `<linearGradient id="paint" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${shade(c, 1.25)}"/><stop offset="0.55" stop-color="${c}"/><stop offset="1" stop-color="${shade(c, 0.7)}"/></linearGradient>
   <linearGradient id="glass" x1="0" y1="0" x2="0.3" y2="1"><stop offset="0" stop-color="#6f8499"/><stop offset="0.45" stop-color="#34455a"/><stop offset="1" stop-color="#1c2530"/></linearGradient>`;

const BODIES = {
  'car-front': (c) => ({
    w: 640,
    h: 470,
    plate: { cx: 320, cy: 381, width: 230 },
    svg: `<ellipse cx="320" cy="455" rx="318" ry="14" fill="#000" opacity="0.45" filter="url(#soft)"/>
      <rect x="42" y="370" width="92" height="92" rx="14" fill="#151515"/><rect x="506" y="370" width="92" height="92" rx="14" fill="#151515"/>
      <path d="M118 40 L522 40 Q540 40 548 60 L590 228 L50 228 L92 60 Q100 40 118 40 Z" fill="url(#paint)"/>
      <path d="M132 62 L508 62 L552 214 L88 214 Z" fill="url(#glass)"/>
      <path d="M150 70 L260 70 L180 206 L112 206 Z" fill="#fff" opacity="0.10"/>
      <path d="M22 200 L56 196 L54 236 L18 232 Z" fill="${shade(c, 0.8)}"/><path d="M618 200 L584 196 L586 236 L622 232 Z" fill="${shade(c, 0.8)}"/>
      <rect x="10" y="222" width="620" height="210" rx="34" fill="url(#paint)"/>
      <path d="M34 250 L182 258 L172 304 L40 298 Z" fill="#e9eef2" stroke="#555" stroke-width="3"/>
      <path d="M606 250 L458 258 L468 304 L600 298 Z" fill="#e9eef2" stroke="#555" stroke-width="3"/>
      <rect x="208" y="258" width="224" height="62" rx="10" fill="#1d1f22"/>
      ${[272, 286, 300].map((y) => `<rect x="216" y="${y}" width="208" height="5" fill="#3a3d42"/>`).join('')}
      <circle cx="320" cy="289" r="12" fill="#c9ccd0"/>
      <rect x="22" y="336" width="596" height="92" rx="24" fill="${shade(c, 0.78)}"/>
      <rect x="196" y="350" width="248" height="62" rx="6" fill="#202224"/>
      <circle cx="90" cy="382" r="16" fill="#e4e2d4"/><circle cx="550" cy="382" r="16" fill="#e4e2d4"/>
      <rect x="150" y="416" width="340" height="12" rx="5" fill="#17181a"/>`,
  }),
  'truck-front': (c) => ({
    w: 700,
    h: 600,
    plate: { cx: 350, cy: 487, width: 230 },
    svg: `<ellipse cx="350" cy="585" rx="345" ry="14" fill="#000" opacity="0.45" filter="url(#soft)"/>
      <rect x="46" y="500" width="110" height="94" rx="14" fill="#151515"/><rect x="544" y="500" width="110" height="94" rx="14" fill="#151515"/>
      <rect x="0" y="80" width="14" height="140" rx="4" fill="#222"/><rect x="686" y="80" width="14" height="140" rx="4" fill="#222"/>
      <rect x="18" y="16" width="664" height="514" rx="22" fill="url(#paint)"/>
      <rect x="54" y="48" width="592" height="206" rx="12" fill="url(#glass)"/><rect x="346" y="48" width="8" height="206" fill="${shade(c, 0.6)}"/>
      <rect x="170" y="292" width="360" height="124" rx="8" fill="#1e2022"/>
      ${[310, 334, 358, 382].map((y) => `<rect x="180" y="${y}" width="340" height="10" fill="#44474c"/>`).join('')}
      <rect x="40" y="300" width="118" height="58" rx="8" fill="#e9eef2" stroke="#555" stroke-width="3"/>
      <rect x="542" y="300" width="118" height="58" rx="8" fill="#e9eef2" stroke="#555" stroke-width="3"/>
      <rect x="40" y="366" width="60" height="20" rx="4" fill="#e8a21a"/><rect x="600" y="366" width="60" height="20" rx="4" fill="#e8a21a"/>
      <rect x="8" y="430" width="684" height="112" rx="10" fill="#2c2e31"/>
      <rect x="222" y="452" width="256" height="70" rx="6" fill="#1a1b1d"/>`,
  }),
  'truck-rear': (c) => ({
    w: 700,
    h: 600,
    plate: { cx: 350, cy: 515, width: 230 },
    svg: `<ellipse cx="350" cy="588" rx="345" ry="12" fill="#000" opacity="0.45" filter="url(#soft)"/>
      <rect x="54" y="470" width="70" height="124" rx="12" fill="#151515"/><rect x="128" y="470" width="70" height="124" rx="12" fill="#151515"/>
      <rect x="502" y="470" width="70" height="124" rx="12" fill="#151515"/><rect x="576" y="470" width="70" height="124" rx="12" fill="#151515"/>
      <rect x="12" y="0" width="676" height="452" rx="6" fill="url(#paint)"/>
      <rect x="24" y="12" width="652" height="428" fill="none" stroke="${shade(c, 0.75)}" stroke-width="6"/>
      <rect x="347" y="12" width="6" height="428" fill="${shade(c, 0.6)}"/>
      ${[250, 300, 400, 450].map((x) => `<rect x="${x}" y="20" width="8" height="412" fill="#8d9096"/>`).join('')}
      ${[120, 240, 360].map((y) => `<rect x="30" y="${y}" width="640" height="4" fill="${shade(c, 0.85)}"/>`).join('')}
      <rect x="30" y="452" width="640" height="26" fill="#26282a"/>
      <rect x="36" y="482" width="96" height="40" rx="5" fill="#b01818"/><rect x="568" y="482" width="96" height="40" rx="5" fill="#b01818"/>
      <rect x="40" y="488" width="40" height="28" fill="#f0a020"/><rect x="620" y="488" width="40" height="28" fill="#f0a020"/>
      <rect x="60" y="558" width="580" height="18" fill="#c0c0c0"/>
      <rect x="222" y="448" width="256" height="134" rx="6" fill="#1a1b1d"/>`,
  }),
  'bike-rear': (c) => ({
    w: 300,
    h: 620,
    plate: { cx: 150, cy: 420, width: 170 },
    svg: `<ellipse cx="150" cy="608" rx="110" ry="10" fill="#000" opacity="0.45" filter="url(#soft)"/>
      <rect x="122" y="470" width="56" height="142" rx="24" fill="#151515"/>
      <rect x="20" y="250" width="56" height="250" rx="22" fill="#2b2f3a"/><rect x="224" y="250" width="56" height="250" rx="22" fill="#2b2f3a"/>
      <rect x="18" y="478" width="62" height="30" rx="10" fill="#111"/><rect x="220" y="478" width="62" height="30" rx="10" fill="#111"/>
      <rect x="2" y="226" width="40" height="14" rx="6" fill="#222"/><rect x="258" y="226" width="40" height="14" rx="6" fill="#222"/>
      <rect x="40" y="96" width="220" height="200" rx="60" fill="url(#paint)"/>
      <rect x="60" y="270" width="180" height="80" rx="30" fill="${shade(c, 0.6)}"/>
      <circle cx="150" cy="64" r="58" fill="#e9e4d8"/><rect x="98" y="72" width="104" height="30" rx="12" fill="#cfc8b8"/>
      <rect x="64" y="330" width="172" height="30" rx="10" fill="#1c1c1c"/>
      <rect x="100" y="336" width="100" height="18" rx="6" fill="#c01414"/>
      <rect x="58" y="350" width="184" height="142" rx="8" fill="#202020"/>
      <path d="M108 500 Q150 470 192 500 L192 520 L108 520 Z" fill="#2a2a2a"/>`,
  }),
};

/** A vehicle sprite (raw RGBA at the stopped size) with its plate (or mud), and its second plate if any, mounted. */
async function renderVehicle(v) {
  const body = BODIES[v.body](v.colour);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${body.w}" height="${body.h}"><defs>${shadowDef}${bodyGradient(v.colour)}</defs>${body.svg}</svg>`;
  const mounts = v.second
    ? [
        [v.plate, -PAIR_OFFSET],
        [v.second, PAIR_OFFSET],
      ].map(([spec, dx]) => ({ spec, cx: body.plate.cx + dx, width: PAIR_PX_PER_MM * plateSvg(spec).mm[0] }))
    : [{ spec: v.plate ?? v.mud, cx: body.plate.cx, width: body.plate.width }];
  const layers = [],
    boxes = [];
  for (const mount of mounts) {
    const condition = v.condition ?? 'clean';
    const overlay = plateOverlay(condition, plateSvg(mount.spec).mm, random);
    const plate = await renderPlate(mount.spec, mount.width, { mud: !v.plate, random, overlay });
    const tilt = plateTilt(condition, random); // degrees: cameras are never quite square to a plate
    const tilted = await sharp(plate.png)
      .rotate(tilt, { background: { r: 0, g: 0, b: 0, alpha: 0 } })
      .png()
      .toBuffer({ resolveWithObject: true });
    layers.push({
      input: tilted.data,
      left: Math.round(mount.cx - tilted.info.width / 2),
      top: Math.round(body.plate.cy - tilted.info.height / 2),
    });
    boxes.push({
      x: Math.round(mount.cx - plate.w / 2),
      y: Math.round(body.plate.cy - plate.h / 2),
      w: plate.w,
      h: plate.h,
    });
  }
  const { data } = await sharp(Buffer.from(svg))
    .composite(layers)
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  treatSprite({ data, w: body.w, h: body.h }, v.condition ?? 'clean', boxes);
  return { data, w: body.w, h: body.h, plateBox: boxes[0], secondBox: boxes[1] };
}

// ---------------------------------------------------------------------------------------------
// The empty scenes: sky, verges, a road converging to the horizon, lane lines, the stop line,
// and around them the border gate (a gate-house on the left, a raised barrier on the right) or
// the yard's exit (a fence, a shed, parked trailers, the barrier on the left). The road is the
// same in both, so the vehicles stop at the same place. No text, so nothing but the plates can
// be read.

/** The road's perspective: x at the bottom of the frame → x at height y; depth z (m) → y. */
const atBottom = (xb, y) => VP_X + (xb - VP_X) * ((y - HORIZON) / (H - HORIZON));
const K = (H - HORIZON) * 6; // y = HORIZON + K / Z: the frame's bottom is 6 m from the camera
const yAt = (z) => HORIZON + K / z;
/** A strip along the road (centred on xb at the frame's bottom, halfW wide there) from y0 to y1. */
function band(xb, halfW, y0, y1, fill) {
  const hw = (y) => (halfW * (y - HORIZON)) / (H - HORIZON);
  return `<polygon points="${atBottom(xb, y0) - hw(y0)},${y0} ${atBottom(xb, y0) + hw(y0)},${y0} ${atBottom(xb, y1) + hw(y1)},${y1} ${atBottom(xb, y1) - hw(y1)},${y1}" fill="${fill}"/>`;
}

/** The lane lines' dashes and the stop line. */
function roadMarkings() {
  let dashes = '';
  for (let z = 4; z < 160; z += 9) {
    for (const xb of [190, 1090]) dashes += band(xb, 9, yAt(z + 3), Math.min(H, yAt(z)), '#e8e8e2');
  }
  const stopLine = `<polygon points="${atBottom(190, yAt(6.8))},${yAt(6.8)} ${atBottom(1090, yAt(6.8))},${yAt(6.8)} ${atBottom(1090, yAt(6.5))},${yAt(6.5)} ${atBottom(190, yAt(6.5))},${yAt(6.5)}" fill="#eeeeea"/>`;
  return { dashes, stopLine };
}

/** lane-1: the border gate. */
function backgroundSvg() {
  const { dashes, stopLine } = roadMarkings();
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
    <defs>
      <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#8fb9e0"/><stop offset="1" stop-color="#dde8ef"/></linearGradient>
      <linearGradient id="road" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#8a8c8e"/><stop offset="1" stop-color="#5c5e60"/></linearGradient>
      <linearGradient id="grass" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#7d9460"/><stop offset="1" stop-color="#55703c"/></linearGradient>
    </defs>
    <rect width="${W}" height="${HORIZON}" fill="url(#sky)"/>
    <path d="M0 ${HORIZON} L0 150 Q120 110 260 150 Q380 120 520 165 Q640 140 760 170 Q900 120 1060 150 Q1180 125 1280 145 L1280 ${HORIZON} Z" fill="#7f95a0"/>
    <rect y="${HORIZON}" width="${W}" height="${H - HORIZON}" fill="url(#grass)"/>
    ${band(LANE_X, 1160, HORIZON, H, '#b9b6ad')}
    ${band(LANE_X, 1040, HORIZON, H, 'url(#road)')}
    ${band(-340, 7, HORIZON, H, '#f2f2ee')}${band(1620, 7, HORIZON, H, '#f2f2ee')}
    ${dashes}${stopLine}
    <polygon points="20,120 330,120 330,338 20,338" fill="#d8cfbf"/>
    <polygon points="330,120 390,150 390,300 330,338" fill="#b3a996"/>
    <polygon points="6,104 344,104 402,140 330,128 20,128" fill="#8c3b2e"/>
    ${[40, 130, 220].map((x) => `<rect x="${x}" y="160" width="70" height="60" fill="#9fc0d6" stroke="#6d6256" stroke-width="4"/>`).join('')}
    <rect x="250" y="240" width="56" height="98" fill="#6d5a44"/><rect x="40" y="248" width="160" height="60" fill="#9fc0d6" stroke="#6d6256" stroke-width="4"/>
    <rect x="12" y="338" width="330" height="10" fill="#9a9488"/>
    <rect x="1150" y="440" width="34" height="250" fill="#e6e2d8"/><rect x="1150" y="430" width="34" height="40" fill="#c0392b"/>
    <g transform="translate(1167 452) rotate(-78)">${[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `<rect x="${i * 55}" y="-9" width="55" height="18" fill="${i % 2 ? '#c0392b' : '#f4f4f0'}"/>`).join('')}</g>
    <rect x="1130" y="686" width="74" height="16" fill="#8d8a82"/>
    ${[
      [900, 190, 40],
      [1010, 185, 55],
      [1110, 188, 48],
      [470, 192, 26],
    ]
      .map(([x, y, r]) => `<ellipse cx="${x}" cy="${y - r * 0.6}" rx="${r}" ry="${r * 0.8}" fill="#4d6a3e"/>`)
      .join('')}
  </svg>`;
}

/** lane-2: the exit of the yard, on an overcast day: a fenced concrete lot, a shed, trailers parked far off. */
function yardExitSvg() {
  const { dashes, stopLine } = roadMarkings();
  // Fence posts along both sides, 2 m tall, every 6 m, joined by a top rail and a mesh strip.
  let fence = '';
  for (const xb of [-700, 1980]) {
    const tops = [];
    for (let z = 5; z < 150; z += 6) {
      const y = yAt(z),
        x = atBottom(xb, y),
        h = 0.42 * (y - HORIZON);
      fence += `<rect x="${x - 1 - h / 60}" y="${y - h}" width="${2 + h / 30}" height="${h}" fill="#5d6166"/>`;
      tops.push(`${x},${y - h}`);
    }
    fence += `<polyline points="${tops.join(' ')}" fill="none" stroke="#5d6166" stroke-width="3"/>`;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
    <defs>
      <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#aab6bf"/><stop offset="1" stop-color="#e3e6e8"/></linearGradient>
      <linearGradient id="road" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#85878a"/><stop offset="1" stop-color="#57595c"/></linearGradient>
      <linearGradient id="lot" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#bdb7a8"/><stop offset="1" stop-color="#98927f"/></linearGradient>
    </defs>
    <rect width="${W}" height="${HORIZON}" fill="url(#sky)"/>
    <path d="M0 ${HORIZON} L0 170 Q200 150 420 172 Q700 160 900 176 Q1100 158 1280 168 L1280 ${HORIZON} Z" fill="#8e9a90"/>
    <rect y="${HORIZON}" width="${W}" height="${H - HORIZON}" fill="url(#lot)"/>
    ${band(LANE_X, 1160, HORIZON, H, '#a9a59a')}
    ${band(LANE_X, 1040, HORIZON, H, 'url(#road)')}
    ${band(-340, 7, HORIZON, H, '#f2f2ee')}${band(1620, 7, HORIZON, H, '#f2f2ee')}
    ${dashes}${stopLine}
    ${[
      [760, 168, 150, '#b5473a'],
      [915, 172, 130, '#3d6e8f'],
      [1050, 166, 170, '#c9a227'],
    ]
      .map(([x, y, w, c]) => `<rect x="${x}" y="${y}" width="${w}" height="${HORIZON - y + 6}" fill="${c}"/>`)
      .join('')}
    <polygon points="0,96 300,128 300,318 0,352" fill="#c9c4b8"/>
    <polygon points="0,80 318,120 300,128 0,96" fill="#6b737a"/>
    <polygon points="120,206 230,218 230,326 120,338" fill="#6e665c"/>
    ${fence}
    <rect x="96" y="440" width="34" height="250" fill="#e6e2d8"/><rect x="96" y="430" width="34" height="40" fill="#d4a017"/>
    <g transform="translate(113 452) rotate(-102)">${[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `<rect x="${i * 55}" y="-9" width="55" height="18" fill="${i % 2 ? '#d4a017' : '#2b2b2b'}"/>`).join('')}</g>
    <rect x="76" y="686" width="74" height="16" fill="#8d8a82"/>
    <rect x="1206" y="230" width="10" height="470" fill="#70757a"/><rect x="1150" y="222" width="66" height="14" fill="#70757a"/>
  </svg>`;
}

// ---------------------------------------------------------------------------------------------
// Frames: background + scaled sprite + a little sensor noise, piped raw into ffmpeg.

/** Alpha-blends an RGBA sprite onto an RGB frame at (left, top), clipped to the frame (sprites hang off the edges while leaving, which sharp's composite() refuses). */
function blend(frame, sprite, sw, sh, left, top, alpha) {
  const x0 = Math.max(0, left),
    x1 = Math.min(W, left + sw),
    y0 = Math.max(0, top),
    y1 = Math.min(H, top + sh);
  for (let y = y0; y < y1; y++) {
    let s = ((y - top) * sw + (x0 - left)) * 4,
      d = (y * W + x0) * 3;
    for (let x = x0; x < x1; x++, s += 4, d += 3) {
      const a = (sprite[s + 3] / 255) * alpha;
      if (a === 0) continue;
      frame[d] += (sprite[s] - frame[d]) * a;
      frame[d + 1] += (sprite[s + 1] - frame[d + 1]) * a;
      frame[d + 2] += (sprite[s + 2] - frame[d + 2]) * a;
    }
  }
}

async function scaled(sprite, scale) {
  if (scale === 1) return { data: sprite.data, w: sprite.w, h: sprite.h };
  const w = Math.max(1, Math.round(sprite.w * scale)),
    h = Math.max(1, Math.round(sprite.h * scale));
  const data = await sharp(sprite.data, { raw: { width: sprite.w, height: sprite.h, channels: 4 } })
    .resize(w, h, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { data, w, h };
}

/** Placement of a sprite for a pose: bottom-centre on the lane's centre line. */
function placement(sprite, pose) {
  const w = Math.max(1, Math.round(sprite.w * pose.scale)),
    h = Math.max(1, Math.round(sprite.h * pose.scale));
  return { left: Math.round(laneX(pose.bottom) - w / 2), top: Math.round(pose.bottom - h) };
}

function gaussian() {
  return gaussianFrom(random); // ~N(0, 1)
}

function fail(message) {
  console.error(`render-demo-clip: ${message}`);
  process.exit(2);
}

/** Frame indices [first, last] at which `test(pose)` holds, within a vehicle's slot. */
function frameSpan(slot, direction, spriteH, test) {
  const frames = [];
  for (let i = 0; i < SLOT * FPS; i++) {
    const pose = poseAt(direction, i / FPS, spriteH);
    if (pose && test(pose)) frames.push(scene.leadFrames + slot * SLOT * FPS + i);
  }
  return { start: frames[0] / FPS, end: frames.at(-1) / FPS, firstFrame: frames[0], lastFrame: frames.at(-1) };
}

async function main() {
  const started = performance.now();
  // The scene's first `count` vehicles, each with its slot; the clip ends after the last one's
  // slot, or, with all of them, after the scene's last slot (45 s).
  const vehicles = scene.slots
    .flatMap((v, slot) => (v ? [{ ...v, slot, direction: v.body.endsWith('rear') ? 'away' : 'toward' }] : []))
    .slice(0, count);
  const slotsShown = count === sceneVehicles ? scene.slots.length : vehicles.at(-1).slot + 1;
  const bySlot = new Map(vehicles.map((v, i) => [v.slot, i]));
  const svg = values.scene === 'exit' ? yardExitSvg() : backgroundSvg();
  const background = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer();
  // Asphalt texture: fixed speckle baked into the background.
  for (let i = 0; i < background.length; i += 3) {
    const n = gaussian() * 3;
    for (let c = 0; c < 3; c++) background[i + c] = clamp(background[i + c] + n, 0, 255);
  }
  const sprites = [];
  for (const v of vehicles) sprites.push(await renderVehicle(v));
  // Temporal noise: one long table, read at a different offset each frame.
  const spare = 30_000 * 3;
  const noise = new Int8Array(W * H * 3 + spare);
  for (let i = 0; i < noise.length; i++) noise[i] = Math.round(gaussian() * 1.6);

  const frames = (count === sceneVehicles ? 0 : scene.leadFrames) + slotsShown * SLOT * FPS;
  mkdirSync(dirname(out), { recursive: true });
  if (values['frames-dir']) mkdirSync(values['frames-dir'], { recursive: true });
  const partial = `${out}.partial`;
  const ffmpeg = spawn(
    ffmpegPath,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${W}x${H}`,
      '-r',
      String(FPS),
      '-i',
      '-',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '23',
      '-pix_fmt',
      'yuv420p',
      // Short GOP, no B-frames: like an IP camera, and RTSP clients can join within a second.
      '-g',
      String(FPS),
      '-keyint_min',
      String(FPS),
      '-sc_threshold',
      '0',
      '-bf',
      '0',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      partial,
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let ffmpegErrors = '';
  ffmpeg.stderr.on('data', (d) => (ffmpegErrors += d));
  const exited = once(ffmpeg, 'close');
  ffmpeg.on('error', (err) => fail(`cannot run ${ffmpegPath}: ${err.message}`));
  ffmpeg.stdin.on('error', () => {}); // EPIPE when ffmpeg dies: its exit code and stderr tell why

  const offsets = Array.from({ length: frames }, () => Math.floor(random() * (spare / 3)) * 3);
  offsets[frames - 1] = offsets[0]; // the last frame is the first one again: a seamless loop
  // The track's conditions hold for a vehicle's whole slot; their randomness has its own stream,
  // so the other scenes stay as they were rendered before the track existed.
  const effects = isTrack ? frameEffects(W, H, mulberry32((seed ^ 0xc0d17) >>> 0)) : null;
  const roads = new Map();
  const roadFor = (condition) => {
    if (!roads.has(condition)) roads.set(condition, treatBackground(background, condition));
    return roads.get(condition);
  };
  for (let f = 0; f < frames; f++) {
    const g = f - scene.leadFrames;
    const i = g < 0 ? undefined : bySlot.get(Math.floor(g / (SLOT * FPS)));
    const condition = (i !== undefined && vehicles[i].condition) || 'clean';
    const frame = Buffer.allocUnsafe(background.length);
    roadFor(condition).copy(frame);
    const sprite = i === undefined ? null : sprites[i];
    const pose = sprite && poseAt(vehicles[i].direction, (g % (SLOT * FPS)) / FPS, sprite.h);
    if (pose && pose.alpha > 0) {
      const { left, top } = placement(sprite, pose);
      const img = await scaled(sprite, pose.scale);
      const pixels = new Uint8ClampedArray(frame.buffer, frame.byteOffset, frame.length);
      blend(pixels, img.data, img.w, img.h, left, top, pose.alpha);
    }
    const pixels = new Uint8ClampedArray(frame.buffer, frame.byteOffset, frame.length);
    const off = offsets[f];
    for (let i = 0; i < pixels.length; i++) pixels[i] += noise[off + i];
    effects?.apply(pixels, condition);
    if (!ffmpeg.stdin.write(frame)) await once(ffmpeg.stdin, 'drain');
    if (values['frames-dir'] && f % every === 0) {
      await sharp(frame, { raw: { width: W, height: H, channels: 3 } })
        .jpeg({ quality: 90 })
        .toFile(join(values['frames-dir'], `frame-${String(f).padStart(4, '0')}.jpg`));
    }
    if ((f + 1) % 100 === 0) console.error(`render-demo-clip: frame ${f + 1}/${frames}`);
  }
  ffmpeg.stdin.end();
  const [code] = await exited;
  if (code !== 0) {
    rmSync(partial, { force: true });
    fail(`ffmpeg failed (exit ${code}): ${ffmpegErrors.trim()}`);
  }

  const sidecar = out.replace(/\.mp4$/i, '') + '.json';
  writeFileSync(
    sidecar,
    JSON.stringify(
      {
        clip: basename(out),
        generator: 'scripts/render-demo-clip.mjs',
        ...(values.scene === 'entry' ? {} : { scene: values.scene }),
        seed,
        width: W,
        height: H,
        fps: FPS,
        frames,
        durationSeconds: frames / FPS,
        ...(isTrack ? { conditions: CONDITION_NOTES, minCharPx: MIN_CHAR_PX } : {}),
        vehicles: vehicles.map((v, i) => {
          const stoppedAt = placement(sprites[i], { scale: 1, bottom: STOP_Y });
          const box = sprites[i].plateBox;
          const second = sprites[i].secondBox;
          const start = scene.leadFrames / FPS + v.slot * SLOT;
          return {
            index: i,
            body: v.body,
            direction: v.direction,
            colour: v.colour,
            plate: v.plate && { text: canonical(v.plate.display), ...v.plate },
            ...(v.second
              ? {
                  secondPlate: { text: canonical(v.second.display), ...v.second },
                  secondPlateBoxWhenStopped: {
                    x: stoppedAt.left + second.x,
                    y: stoppedAt.top + second.y,
                    w: second.w,
                    h: second.h,
                  },
                }
              : {}),
            ...(v.plate ? {} : { note: 'plate covered with mud: there is no correct read' }),
            ...(v.condition ? { condition: v.condition } : {}),
            window: { start, end: start + SLOT },
            visible: frameSpan(
              v.slot,
              v.direction,
              sprites[i].h,
              (p) => p.alpha > 0 && placement(sprites[i], p).top < H,
            ),
            stopped: frameSpan(v.slot, v.direction, sprites[i].h, (p) => p.stopped),
            readable: v.plate ? frameSpan(v.slot, v.direction, sprites[i].h, (p) => readable(v, sprites[i], p)) : null,
            plateBoxWhenStopped: { x: stoppedAt.left + box.x, y: stoppedAt.top + box.y, w: box.w, h: box.h },
          };
        }),
      },
      null,
      2,
    ) + '\n',
  );
  renameSync(partial, out); // last: setup treats an existing clip as done
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `render-demo-clip: wrote ${out} (${frames} frames, ${frames / FPS} s, ${vehicles.length} vehicles) and ${sidecar} in ${seconds} s`,
  );
}

/**
 * Whether every plate of the vehicle can be read at this pose: the vehicle wholly faded in, each
 * plate wholly in the frame with its smallest characters at least MIN_CHAR_PX tall.
 */
function readable(v, sprite, pose) {
  if (pose.alpha < 1) return false;
  const { left, top } = placement(sprite, pose);
  const plates = [
    [v.plate, sprite.plateBox],
    [v.second, sprite.secondBox],
  ].filter(([spec]) => spec);
  return plates.every(([spec, box]) => {
    const x = left + box.x * pose.scale,
      y = top + box.y * pose.scale,
      w = box.w * pose.scale,
      h = box.h * pose.scale;
    const charPx = (smallestCharMm(spec) * w) / plateSvg(spec).mm[0];
    return x >= 0 && y >= 0 && x + w <= W && y + h <= H && charPx >= MIN_CHAR_PX;
  });
}

/** Plate text as the grammars write it: letters, digits and CJK only (`29C12345`, `云A12345`). */
function canonical(display) {
  return display.toUpperCase().replace(/[^0-9A-Z\u4e00-\u9fff]/g, '');
}

await main();
