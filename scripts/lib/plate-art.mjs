// Plate drawing shared by the demo clip (scripts/render-demo-clip.mjs) and the synthetic plate
// generator (scripts/synth/plates.mjs): a plate as SVG in millimetres at its real size, drawn
// with fonts from Debian packages by fontconfig name, and rasterised with sharp (librsvg).
//
//   "DejaVu Sans" bold, squeezed per glyph   fonts-dejavu-core  (the condensed face would need fonts-dejavu-extra)
//   "WenQuanYi Micro Hei"                    fonts-wqy-microhei (CJK)
//
// Nothing here draws a random number of its own: callers pass their seeded `random`.
import sharp from 'sharp';

export const LATIN = `font-family="DejaVu Sans" font-weight="bold"`;
export const CJK = `font-family="WenQuanYi Micro Hei"`;

/** The fonts the plates are drawn with: fontconfig pattern and the Debian package that ships them. */
export const PLATE_FONTS = [
  { family: 'DejaVu Sans', pattern: 'DejaVu Sans:bold', package: 'fonts-dejavu-core', use: 'Latin letters and digits' },
  {
    family: 'WenQuanYi Micro Hei',
    pattern: 'WenQuanYi Micro Hei',
    package: 'fonts-wqy-microhei',
    use: 'Chinese characters',
  },
];

/** Red of the characters printed in red: NG/QT on Vietnamese plates, 警 and 使 on Chinese ones. */
const ACCENT = '#d11f26';

export const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));

/** Small seeded PRNG (the same as the demo clip's): returns () => [0, 1). */
export function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** ~N(0, 1) from four draws of `random`. */
export function gaussianFrom(random) {
  return (random() + random() + random() + random() - 2) * 1.73;
}

const isCjk = (ch) => /[\u4e00-\u9fff]/.test(ch);

/**
 * One row of characters laid into `cells` ([x0, width] in mm), each squeezed to its cell.
 * Characters in `accent` (a string) are drawn red instead of `fill`.
 */
export function glyphs(chars, cells, baseline, capH, fill, accent) {
  return chars
    .map((ch, i) => {
      const [x0, w] = cells[i];
      const cx = x0 + w / 2;
      const ink = accent && accent.includes(ch) ? ACCENT : fill;
      if (isCjk(ch)) {
        const fs = capH / 0.835; // WenQuanYi's CJK glyphs: 0.885 em wide, 0.835 em tall, 0.09 em below the baseline
        const sx = w / (0.885 * fs);
        return `<text transform="translate(${cx} ${baseline - 0.09 * fs}) scale(${sx.toFixed(3)} 1)" ${CJK} font-size="${fs}" text-anchor="middle" fill="${ink}" stroke="${ink}" stroke-width="${(fs * 0.05).toFixed(2)}">${ch}</text>`;
      }
      const fs = capH / 0.729; // DejaVu's cap height
      const sx = ch === '·' || ch === '.' || ch === '-' ? 0.56 : (w * 0.98) / (0.7 * fs);
      const glyph = ch === '·' ? '•' : ch;
      const y = ch === '·' ? baseline - capH * 0.42 : baseline;
      const size = ch === '·' ? fs * 0.5 : fs;
      return `<text transform="translate(${cx} ${y}) scale(${sx.toFixed(3)} 1)" ${LATIN} font-size="${size}" text-anchor="middle" fill="${ink}">${glyph}</text>`;
    })
    .join('');
}

/**
 * Cells for `chars` spread over [x0, x1]: symbols get narrow cells, letters and digits equal
 * ones, at most `maxUnit` mm wide (a short text is centred rather than stretched).
 */
export function spread(chars, x0, x1, gap, maxUnit = Infinity) {
  const unit = (ch) => (ch === '-' ? 0.62 : ch === '.' ? 0.4 : 1);
  const units = chars.reduce((s, ch) => s + unit(ch), 0);
  let u = (x1 - x0 - gap * (chars.length - 1)) / units;
  let x = x0;
  if (u > maxUnit) {
    x += ((u - maxUnit) * units) / 2;
    u = maxUnit;
  }
  return chars.map((ch) => {
    const cell = [x, u * unit(ch)];
    x += u * unit(ch) + gap;
    return cell;
  });
}

export const PLATE_STYLES = {
  white: { bg: '#f3f3ee', ink: '#121212' },
  yellow: { bg: '#f0bf1a', ink: '#121212' },
  blue: { bg: '#1044b4', ink: '#f6f6f6' },
  green: { bg: 'url(#nev)', ink: '#121212' }, // small new-energy: white fading to green, top to bottom
  'yellow-green': { bg: 'url(#nevl)', ink: '#121212' }, // large new-energy: yellow left, green right
  red: { bg: '#c41e24', ink: '#f6f6f6' },
  black: { bg: '#141414', ink: '#f2f2f2' },
};
const EXTRA_DEFS = {
  'yellow-green': `<linearGradient id="nevl" x1="0" y1="0" x2="1" y2="0"><stop offset="0.3" stop-color="#f1c21b"/><stop offset="0.7" stop-color="#3fb866"/></linearGradient>`,
};

/**
 * The rows as printed, top to bottom: the grammar's display split for two-row plates
 * (`59-P1 664.80` at the space, `29C-123.45` at the dash, `云A·12345` at the dot).
 */
export function printedRows({ display, layout }) {
  if (layout !== 'two-row') return [display];
  if (display.includes(' ')) return display.split(' ');
  const sep = display.search(/[-·]/);
  return [display.slice(0, sep), display.slice(sep + 1)];
}

/**
 * The plate's SVG and its real size in mm. `spec`: `display` (as the grammar prints it),
 * `country` VN/CN, `layout` one-row/two-row, `colour` (a key of PLATE_STYLES), optional
 * `accent` (characters printed red).
 *
 *   VN one-row 520x110, two-row (square) 330x165, motorbike (first row `59-P1`) 190x140;
 *   CN one-row 440x140, new-energy (8 characters) 480x140, two-row 440x220.
 */
export function plateSvg({ display, country, layout, colour, accent }) {
  const { bg, ink } = PLATE_STYLES[colour];
  let mm, body;
  if (country === 'VN' && layout === 'one-row') {
    mm = [520, 110];
    body = glyphs([...display], spread([...display], 24, 496, 3, 56), 95, 80, ink, accent);
  } else if (country === 'VN' && display.includes(' ')) {
    mm = [190, 140]; // motorbike
    const [top, bottom] = display.split(' ').map((r) => [...r]);
    body =
      glyphs(top, spread(top, 20, 170, 2), 62, 50, ink, accent) +
      glyphs(bottom, spread(bottom, 12, 178, 2), 127, 52, ink, accent);
  } else if (country === 'VN') {
    mm = [330, 165]; // square car / truck plate: `29C` over `123.45`
    const [top, bottom] = printedRows({ display, layout }).map((r) => [...r]);
    body =
      glyphs(top, spread(top, 50, 280, 4, 58), 74, 58, ink, accent) +
      glyphs(bottom, spread(bottom, 18, 312, 3, 56), 150, 64, ink, accent);
  } else if (layout === 'two-row') {
    mm = [440, 220];
    const [province, series, ...digits] = [...display.replace('·', '')];
    body =
      glyphs(
        [province, series],
        [
          [110, 80],
          [250, 80],
        ],
        78,
        58,
        ink,
        accent,
      ) +
      glyphs(
        digits,
        digits.map((_, i) => [27.5 + i * 80, 65]),
        202,
        110,
        ink,
        accent,
      );
  } else {
    const chars = [...display.replace('·', '')];
    const dotAt = display.includes('·') ? [...display].indexOf('·') : 2; // `云A·12345`, `使014·578`
    const nev = chars.length === 8;
    mm = nev ? [480, 140] : [440, 140];
    const [w, step, dotGap] = nev ? [43, 52, 49] : [45, 57, 34];
    const cells = chars.map((_, i) => [15.5 + i * step + (i >= dotAt ? dotGap - (step - w) : 0), w]);
    body =
      glyphs(chars, cells, 115, 90, ink, accent) +
      `<circle cx="${cells[dotAt - 1][0] + w + dotGap / 2}" cy="70" r="5" fill="${ink}"/>`;
  }
  const [wmm, hmm] = mm;
  const border = country === 'CN' ? (colour === 'blue' ? '#f6f6f6' : ink) : ink;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${wmm} ${hmm}" width="${wmm * 2}" height="${hmm * 2}">
    <defs><linearGradient id="nev" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#f2fbf1"/><stop offset="1" stop-color="#3fb866"/></linearGradient>${EXTRA_DEFS[colour] ?? ''}</defs>
    <rect width="${wmm}" height="${hmm}" rx="8" fill="${bg}"/>
    <rect x="4" y="4" width="${wmm - 8}" height="${hmm - 8}" rx="6" fill="none" stroke="${border}" stroke-width="${country === 'CN' ? 2.5 : 4}"/>
    ${body}</svg>`;
  return { svg, mm };
}

/**
 * Height in mm of the plate's smallest characters, as plateSvg prints them: how large a plate must
 * be in a frame before it can be read (the demo clip's `readable` window).
 */
export function smallestCharMm({ display, country, layout }) {
  if (country === 'VN' && layout === 'one-row') return 80;
  if (country === 'VN') return display.includes(' ') ? 50 : 58; // motorbike, square
  return layout === 'two-row' ? 58 : 90;
}

/** Brown splashes over most of the characters: the plate is there but cannot be read. */
export function mudSvg([wmm, hmm], random) {
  let blobs = '';
  for (let i = 0; i < 26; i++) {
    const cx = 20 + random() * (wmm - 40),
      cy = 15 + random() * (hmm - 30);
    blobs += `<ellipse cx="${cx}" cy="${cy}" rx="${25 + random() * 45}" ry="${12 + random() * 25}" fill="#5b4330" opacity="${0.75 + random() * 0.25}"/>`;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${wmm} ${hmm}" width="${wmm * 2}" height="${hmm * 2}">${blobs}</svg>`;
}

/** The plate's SVG rasterised at 2 px/mm with `layers` composited on top, as PNG. */
export async function rasterisePlate(svg, mm, layers = []) {
  return sharp(Buffer.from(svg))
    .resize(mm[0] * 2, mm[1] * 2)
    .composite(layers)
    .png()
    .toBuffer();
}

/**
 * The demo clip's plate: an RGBA PNG `widthPx` wide at the real aspect, slightly blurred,
 * unevenly lit and with sensor noise; `mud` covers it with unreadable splashes, `overlay` (an
 * SVG over the plate's mm viewBox, e.g. the track's dirt) is drawn on it.
 */
export async function renderPlate(spec, widthPx, { mud = false, random, overlay = null }) {
  const { svg, mm } = plateSvg(spec);
  const w = Math.round(widthPx),
    h = Math.round((widthPx * mm[1]) / mm[0]);
  let layers = [];
  if (mud) layers = [{ input: Buffer.from(mudSvg(mm, random)), top: 0, left: 0 }];
  if (overlay) layers.push({ input: Buffer.from(overlay), top: 0, left: 0 });
  const base = await rasterisePlate(svg, mm, layers);
  const { data } = await sharp(base)
    .resize(w, h)
    .blur(mud ? 2.2 : 0.6)
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const light = 0.82 + random() * 0.12; // plates are a little duller than the paint on the SVG
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i += 4) {
      const shade = light * (1 - 0.12 * (x / w) * (y / h)); // one corner in shadow
      for (let c = 0; c < 3; c++) data[i + c] = clamp(data[i + c] * shade + gaussianFrom(random) * 5, 0, 255);
    }
  }
  return {
    png: await sharp(data, { raw: { width: w, height: h, channels: 4 } })
      .png()
      .toBuffer(),
    w,
    h,
  };
}
