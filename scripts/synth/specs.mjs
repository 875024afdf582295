// Plate SPECS for the synthetic plate generator: seeded texts that the project's own grammar
// (src/plates, built to dist/plates) accepts with the intended country and kind, with the
// colour, layout and printed rows of the plate. No drawing here (scripts/synth/render.mjs).
//
// The alphabets and codes come from the grammar itself, not from copies: the province codes are
// the ones the Vietnamese car format's check accepts, the letters are the slots' alphabets, the
// Chinese province characters are the ordinary format's first slot. dist/ must be built
// (`npm run build`); the grammar in src/plates is what the project reads plates with.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mulberry32, printedRows } from '../lib/plate-art.mjs';

const distPlates = new URL('../../dist/plates/', import.meta.url);
if (!existsSync(fileURLToPath(new URL('vn.js', distPlates)))) {
  throw new Error(`scripts/synth: ${fileURLToPath(distPlates)} is missing: run npm run build first`);
}
const { VN_FORMATS } = await import(new URL('vn.js', distPlates).href);
const { CN_FORMATS } = await import(new URL('cn.js', distPlates).href);

/** Bump when a change makes the same seed give different specs or images. */
export const GENERATOR_VERSION = '1.0.0';

const format = (formats, name) => {
  const f = formats.find((x) => x.name === name);
  if (!f) throw new Error(`scripts/synth: the grammar has no format ${name}`);
  return f;
};

// ---------------------------------------------------------------------------------------------
// Alphabets, read from the grammar.

const vnCar = format(VN_FORMATS, 'vn-car-letter-5');
const vnMilitaryFormat = format(VN_FORMATS, 'vn-military');
/** Province codes 10..99 that the grammar accepts (Circular 24/2023 Appendix 02). */
export const VN_PROVINCES = Array.from({ length: 90 }, (_, i) => String(10 + i)).filter(
  (p) => vnCar.check(`${p}A12345`) === null,
);
const VN_SERIES = vnCar.slots[2].allowed; // 20 letters of the circular + R
const VN_MILITARY_FIRST = vnMilitaryFormat.slots[0].allowed;
const VN_MILITARY_SECOND = vnMilitaryFormat.slots[1].allowed;
/** Two-letter car series (LD, DA, KT, MK, TD, HC, CD). */
const VN_CAR_TWO_LETTER = VN_FORMATS.map((f) => /^vn-car-([A-Z]{2})-5$/.exec(f.name)?.[1]).filter(Boolean);
const VN_CENTRAL = '80';

const cnOrdinary = format(CN_FORMATS, 'cn-ordinary');
const cnSmallNev = format(CN_FORMATS, 'cn-new-energy-small');
const cnLargeNev = format(CN_FORMATS, 'cn-new-energy-large');
/** The 31 province characters, as the grammar lists them. */
export const CN_PROVINCES = [...cnOrdinary.slots[0].allowed];
const CN_LETTERS = cnOrdinary.slots[1].allowed; // no I, O
const CN_ENERGY = cnSmallNev.slots[2].allowed; // A-K without I
const CN_LARGE_ENERGY = cnLargeNev.slots[7].allowed; // D, F
const DIGITS = '0123456789';

/** Share of Chinese plates from Yunnan (云): the gate is on the Yunnan border. */
export const YUNNAN_SHARE = 0.25;

// ---------------------------------------------------------------------------------------------
// Kinds: what the generator makes (`--kinds`), with default weights (per 100 plates). `kind` is
// what parsePlate reports for it (with `colour` as the hint for Vietnamese plates).

export const SYNTH_KINDS = {
  'vn-private': { country: 'VN', weight: 18, kinds: ['car', 'motorbike'] },
  'vn-commercial': { country: 'VN', weight: 10, kinds: ['commercial'] },
  'vn-state': { country: 'VN', weight: 6, kinds: ['state'] },
  'vn-military': { country: 'VN', weight: 5, kinds: ['military'] },
  'vn-foreign-ng': { country: 'VN', weight: 3, kinds: ['foreign-ng'] },
  'vn-foreign-qt': { country: 'VN', weight: 2, kinds: ['foreign-qt'] },
  'vn-foreign-nn': { country: 'VN', weight: 3, kinds: ['foreign-nn'] },
  'vn-temporary': { country: 'VN', weight: 3, kinds: ['temporary'] },
  'cn-blue': { country: 'CN', weight: 17, kinds: ['ordinary'] },
  'cn-yellow': { country: 'CN', weight: 7, kinds: ['ordinary'] },
  'cn-yellow-two-row': { country: 'CN', weight: 8, kinds: ['ordinary'] },
  'cn-new-energy': { country: 'CN', weight: 9, kinds: ['new-energy'] },
  'cn-trailer': { country: 'CN', weight: 3, kinds: ['trailer'] },
  'cn-coach': { country: 'CN', weight: 3, kinds: ['coach'] },
  'cn-police': { country: 'CN', weight: 1, kinds: ['police'] },
  'cn-hong-kong-macau': { country: 'CN', weight: 1, kinds: ['hong-kong-macau'] },
  'cn-embassy': { country: 'CN', weight: 1, kinds: ['embassy'] },
  // Drawn only when asked for by name (`--kinds cn-yellow-sign`), so the default and `cn` runs of
  // a seed keep their specs: a yellow truck plate over a sign (危险品, 超限), labelled as the plate.
  'cn-yellow-sign': { country: 'CN', weight: 3, kinds: ['ordinary'], optIn: true },
};

/** The kinds a run draws when `--kinds` names none (and that `vn` / `cn` stand for). */
export const DEFAULT_KINDS = Object.keys(SYNTH_KINDS).filter((k) => !SYNTH_KINDS[k].optIn);

/**
 * Plates the generator does not make because the grammar does not accept them yet (or has no
 * kind for them); docs/synthetic-data.md lists them too.
 */
export const NOT_GENERATED = [
  'VN military plates with 5 digits (not documented; the grammar takes 4)',
  'VN ASEAN cross-border plates with the VN strip (the grammar rejects VN29A12345)',
  'VN special economic-zone series and the yellow-on-red / other rare series',
  'CN military (白底红字), 民航 and 应急 plates',
  'CN 领 consulate plates (accepted as embassy; not drawn yet)',
];

// ---------------------------------------------------------------------------------------------
// Random helpers over a `random` () => [0, 1).

const pick = (random, items) => items[Math.floor(random() * items.length)];
const chance = (random, p) => random() < p;
const digits = (random, n) => Array.from({ length: n }, () => pick(random, DIGITS)).join('');
function weighted(random, entries) {
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let r = random() * total;
  for (const [v, w] of entries) if ((r -= w) < 0) return v;
  return entries.at(-1)[0];
}
const dotted = (d) => (d.length === 5 ? `${d.slice(0, 3)}.${d.slice(3)}` : d);

/** A province code; `avoid` (e.g. 80, whose car plates the grammar reports as state). */
function vnProvince(random, avoid = []) {
  // The border gate sees Lào Cai (24), Hà Nội (29-33, 40) and Hà Giang / Lai Châu more often.
  const near = ['24', '29', '30', '23', '25', '21', '14', '12'];
  for (;;) {
    const p = chance(random, 0.35) ? pick(random, near) : pick(random, VN_PROVINCES);
    if (!avoid.includes(p)) return p;
  }
}

function cnProvince(random) {
  return chance(random, YUNNAN_SHARE)
    ? '云'
    : pick(
        random,
        CN_PROVINCES.filter((c) => c !== '云'),
      );
}

/** `n` serial characters of an ordinary plate: digits with 0-2 letters (no I, O). */
function cnSerial(random, n) {
  const letters = weighted(random, [
    [0, 55],
    [1, 33],
    [2, 12],
  ]);
  const chars = Array.from({ length: n }, () => pick(random, DIGITS));
  const positions = [...chars.keys()];
  for (let k = 0; k < letters; k++) {
    const at = positions.splice(Math.floor(random() * positions.length), 1)[0];
    chars[at] = pick(random, CN_LETTERS);
  }
  return chars.join('');
}

// ---------------------------------------------------------------------------------------------
// One spec per synth kind. A spec: text (normalised), display (as the grammar prints it, the
// form plateSvg draws), rows (as printed, top to bottom), country, kind, layout, colour,
// optional accent (characters printed red), and `hint` (the colour to give parsePlate).

function vnCarText(random, { province = vnProvince(random, [VN_CENTRAL]), series } = {}) {
  const s = series ?? pick(random, VN_SERIES);
  const order = chance(random, 0.85) ? digits(random, 5) : digits(random, 4); // 4 digits: older plates
  return { text: `${province}${s}${order}`, display: `${province}${s}-${dotted(order)}` };
}

function vnMotorbikeText(random, province, series) {
  const order = chance(random, 0.8) ? digits(random, 5) : digits(random, 4);
  return { text: `${province}${series.replace('Đ', 'D')}${order}`, display: `${province}-${series} ${dotted(order)}` };
}

function vnPrivate(random) {
  if (chance(random, 0.45)) {
    // Motorbike, two rows: letter + digit, two letters (mopeds under 50 cc) or MĐ + digit (electric).
    const province = vnProvince(random);
    const series = weighted(random, [
      [() => `${pick(random, VN_SERIES)}${1 + Math.floor(random() * 9)}`, 80],
      [() => `${pick(random, VN_SERIES)}${pick(random, VN_SERIES)}`, 12],
      [() => `MĐ${1 + Math.floor(random() * 9)}`, 8],
    ])();
    return { ...vnMotorbikeText(random, province, series), kind: 'motorbike', layout: 'two-row', colour: 'white' };
  }
  const twoLetter = VN_CAR_TWO_LETTER.filter((s) => s !== 'CD' && s !== 'KT'); // CD blue, KT red-era series
  const series = chance(random, 0.08) ? pick(random, twoLetter) : undefined;
  const t = vnCarText(random, { series });
  const display = t.display.replace(/^(\d\d)TD/, '$1TĐ');
  return { ...t, display, kind: 'car', layout: chance(random, 0.12) ? 'two-row' : 'one-row', colour: 'white' };
}

function vnCommercial(random) {
  const t = vnCarText(random);
  return {
    ...t,
    kind: 'commercial',
    layout: chance(random, 0.3) ? 'two-row' : 'one-row',
    colour: 'yellow',
    hint: 'yellow',
  };
}

function vnState(random) {
  // Blue: series A-D of a province, the central agencies' province 80, police CD; some motorbikes.
  const r = random();
  if (r < 0.15) {
    const series = `${pick(random, 'ABCD')}${1 + Math.floor(random() * 9)}`;
    return {
      ...vnMotorbikeText(random, vnProvince(random, [VN_CENTRAL]), series),
      kind: 'state',
      layout: 'two-row',
      colour: 'blue',
      hint: 'blue',
    };
  }
  const t =
    r < 0.4
      ? vnCarText(random, { province: VN_CENTRAL, series: pick(random, 'ABCDE') })
      : r < 0.5
        ? vnCarText(random, { series: 'CD' })
        : vnCarText(random, { series: pick(random, 'ABCD') });
  return { ...t, kind: 'state', layout: chance(random, 0.1) ? 'two-row' : 'one-row', colour: 'blue', hint: 'blue' };
}

function vnMilitary(random) {
  const unit = `${pick(random, VN_MILITARY_FIRST)}${pick(random, VN_MILITARY_SECOND)}`;
  const d = digits(random, 4);
  return {
    text: `${unit}${d}`,
    display: `${unit}-${d.slice(0, 2)}-${d.slice(2)}`,
    kind: 'military',
    layout: chance(random, 0.2) ? 'two-row' : 'one-row',
    colour: 'red',
    hint: 'red',
  };
}

function vnForeign(random, series) {
  const province = chance(random, 0.5) ? pick(random, ['80', '29', '30', '41', '51']) : vnProvince(random, []);
  const kind = series === 'QT' ? 'foreign-qt' : series === 'NN' ? 'foreign-nn' : 'foreign-ng';
  const accent = series === 'NN' ? undefined : series; // NG, QT (and CV) in red
  if (chance(random, 0.3)) {
    // Older layout: country code first, `41-291-NG-01`.
    const country = digits(random, 3),
      order = digits(random, 2);
    return {
      text: `${province}${country}${series}${order}`,
      display: `${province}-${country}-${series}-${order}`,
      kind,
      layout: 'one-row',
      colour: 'white',
      accent,
    };
  }
  const d = digits(random, 5);
  return {
    text: `${province}${series}${d}`,
    display: `${province}${series}-${d.slice(0, 3)}-${d.slice(3)}`,
    kind,
    layout: 'one-row',
    colour: 'white',
    accent,
  };
}

function vnTemporary(random) {
  const province = vnProvince(random, []);
  const d = digits(random, 5);
  return {
    text: `T${province}${d}`,
    display: `T${province}-${dotted(d)}`,
    kind: 'temporary',
    layout: 'one-row',
    colour: 'white',
  };
}

function cnOrdinaryText(random) {
  const head = `${cnProvince(random)}${pick(random, CN_LETTERS)}`;
  const serial = cnSerial(random, 5);
  return { text: `${head}${serial}`, display: `${head}·${serial}` };
}

function cnSuffixed(random, suffix, head = `${cnProvince(random)}${pick(random, CN_LETTERS)}`) {
  const serial = cnSerial(random, 4);
  return { text: `${head}${serial}${suffix}`, display: `${head}·${serial}${suffix}` };
}

function cnNewEnergy(random) {
  const head = `${cnProvince(random)}${pick(random, CN_LETTERS)}`;
  if (chance(random, 0.8)) {
    // Small (cars): energy letter (mostly D battery, F hybrid), a letter or digit, 4 digits.
    const energy =
      weighted(random, [
        ['D', 45],
        ['F', 25],
        [null, 30],
      ]) ?? pick(random, CN_ENERGY);
    const second = chance(random, 0.3) ? pick(random, CN_LETTERS) : pick(random, DIGITS);
    const serial = `${energy}${second}${digits(random, 4)}`;
    return {
      text: `${head}${serial}`,
      display: `${head}·${serial}`,
      kind: 'new-energy',
      layout: 'one-row',
      colour: 'green',
    };
  }
  const serial = `${digits(random, 5)}${pick(random, CN_LARGE_ENERGY)}`;
  return {
    text: `${head}${serial}`,
    display: `${head}·${serial}`,
    kind: 'new-energy',
    layout: 'one-row',
    colour: 'yellow-green',
  };
}

/** Texts of the signs hung or painted under a Chinese truck's plate. */
export const SIGN_TEXTS = ['危险品', '超限'];

/**
 * A sign under the plate: a yellow board with black text (70 %) or the text painted on the
 * vehicle, `width` of the plate's width, `height` and `gap` in mm, `offset` of the plate's width
 * off centre, and `visible`, the share of its height inside the crop (a detector's quad that
 * reached down over the sign takes some or all of it). Why: the reader took a yellow truck plate
 * over a 危险品 board, cut with it, for a two-row plate and read the board as its second row.
 */
function signUnder(random) {
  return {
    text: weighted(random, [
      [SIGN_TEXTS[0], 2],
      [SIGN_TEXTS[1], 1],
    ]),
    board: chance(random, 0.7),
    ink: pick(random, ['#121212', '#121212', '#c41e24']),
    width: 0.45 + random() * 0.35,
    height: 60 + random() * 50,
    gap: random() * 25,
    offset: (random() - 0.5) * 0.2,
    visible: 0.45 + random() * 0.55,
  };
}

function cnEmbassy(random) {
  const mission = digits(random, 3),
    vehicle = digits(random, 3);
  return chance(random, 0.6)
    ? { text: `使${mission}${vehicle}`, display: `使${mission}·${vehicle}` }
    : { text: `${mission}${vehicle}使`, display: `${mission}·${vehicle}使` };
}

const MAKERS = {
  'vn-private': vnPrivate,
  'vn-commercial': vnCommercial,
  'vn-state': vnState,
  'vn-military': vnMilitary,
  'vn-foreign-ng': (r) => vnForeign(r, chance(r, 0.1) ? 'CV' : 'NG'),
  'vn-foreign-qt': (r) => vnForeign(r, 'QT'),
  'vn-foreign-nn': (r) => vnForeign(r, 'NN'),
  'vn-temporary': vnTemporary,
  'cn-blue': (r) => ({ ...cnOrdinaryText(r), kind: 'ordinary', layout: 'one-row', colour: 'blue' }),
  'cn-yellow': (r) => ({ ...cnOrdinaryText(r), kind: 'ordinary', layout: 'one-row', colour: 'yellow' }),
  'cn-yellow-two-row': (r) => ({ ...cnOrdinaryText(r), kind: 'ordinary', layout: 'two-row', colour: 'yellow' }),
  'cn-new-energy': cnNewEnergy,
  'cn-trailer': (r) => ({
    ...cnSuffixed(r, '挂'),
    kind: 'trailer',
    layout: chance(r, 0.7) ? 'two-row' : 'one-row',
    colour: 'yellow',
  }),
  'cn-coach': (r) => ({ ...cnSuffixed(r, '学'), kind: 'coach', layout: 'one-row', colour: 'yellow' }),
  'cn-police': (r) => ({ ...cnSuffixed(r, '警'), kind: 'police', layout: 'one-row', colour: 'white', accent: '警' }),
  'cn-hong-kong-macau': (r) => ({
    ...cnSuffixed(r, chance(r, 0.7) ? '港' : '澳', '粤Z'),
    kind: 'hong-kong-macau',
    layout: 'one-row',
    colour: 'black',
  }),
  'cn-embassy': (r) => ({ ...cnEmbassy(r), kind: 'embassy', layout: 'one-row', colour: 'black', accent: '使' }),
  'cn-yellow-sign': (r) => ({
    ...cnOrdinaryText(r),
    kind: 'ordinary',
    layout: 'one-row',
    colour: 'yellow',
    sign: signUnder(r),
  }),
};

/** Seed for sample `index` of a run seeded `seed`, and `stream` (0 spec, 1 rendering). */
export function sampleSeed(seed, index, stream = 0) {
  let h =
    Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^
    Math.imul(index + 1, 0xc2b2ae35) ^
    Math.imul(stream + 1, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Parses a `--kinds` list (comma-separated synth kinds, `vn`/`cn` for a whole country's default
 * kinds); the default kinds when empty. Opt-in kinds only by name.
 */
export function resolveKinds(list) {
  if (!list) return [...DEFAULT_KINDS];
  const out = new Set();
  for (const k of list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (k === 'vn' || k === 'cn') {
      for (const [name, v] of Object.entries(SYNTH_KINDS)) if (v.country === k.toUpperCase() && !v.optIn) out.add(name);
    } else if (SYNTH_KINDS[k]) out.add(k);
    else throw new Error(`unknown kind ${k} (known: vn, cn, ${Object.keys(SYNTH_KINDS).join(', ')})`);
  }
  return [...out];
}

/**
 * Spec `index` of a run: a synth kind drawn by weight among `kinds`, then its text. Each spec
 * depends only on (seed, index), so a run can be resumed or split.
 */
export function makeSpec(seed, index, kinds = DEFAULT_KINDS) {
  const random = mulberry32(sampleSeed(seed, index, 0));
  const synthKind = weighted(
    random,
    kinds.map((k) => [k, SYNTH_KINDS[k].weight]),
  );
  const s = MAKERS[synthKind](random);
  return { synthKind, country: SYNTH_KINDS[synthKind].country, ...s, rows: printedRows(s) };
}
