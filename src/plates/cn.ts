import { literal, repeat, slot, type PlateFormat, type Slot } from './format.js';
import type { CnPlateKind } from './types.js';

/**
 * Chinese plate formats of GA 36-2018 (Motor vehicle number plates of the PRC) and its 2021-22
 * amendment widening the new-energy letters. docs/plates.md lists each format with its sources.
 *
 * Letters I and O are never printed, so in a serial position a read `O`/`I` can only be `0`/`1`
 * and is corrected. B/8, S/5, Z/2 are both legal there and are left as read.
 */

/** Province abbreviations of the 31 mainland provincial divisions. */
const PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';
const DIGITS = '0123456789';
const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
/** GA 36-2018: at most two letters in the serial of an ordinary plate. */
const MAX_SERIAL_LETTERS = 2;

const province = slot(PROVINCES, 'province character');
const authority = slot(LETTERS, 'issuing-authority letter');
const serialChar = slot(DIGITS + LETTERS, 'serial letter or digit');
const digit = slot(DIGITS, 'digit');
const head: Slot[] = [province, authority];

function checkSerialLetters(serial: string): string | null {
  const letters = [...serial].filter((c) => LETTERS.includes(c)).length;
  return letters > MAX_SERIAL_LETTERS
    ? `${letters} letters in the serial ${serial} (at most ${MAX_SERIAL_LETTERS})`
    : null;
}

/** `云A·12345`: blue (small) or yellow (large, often two-row: `云A` over `12345`). */
const ordinaryFormat: PlateFormat = {
  country: 'CN',
  name: 'cn-ordinary',
  slots: [...head, ...repeat(serialChar, 5)],
  oneRow: true,
  twoRowSplits: [2],
  check: (t) => checkSerialLetters(t.slice(2)),
  describe: (t) => ({ kind: 'ordinary', display: `${t.slice(0, 2)}·${t.slice(2)}` }),
};

/**
 * Green new-energy plates, six serial characters. Small cars: energy letter first (D/F in the
 * 2018 text, A-K since the amendment: A-E battery, F-K other), large vehicles: D/F last.
 */
const newEnergyFormats: PlateFormat[] = [
  {
    country: 'CN',
    name: 'cn-new-energy-small',
    slots: [...head, slot('ABCDEFGHJK', 'new-energy letter'), serialChar, ...repeat(digit, 4)],
    oneRow: true,
    twoRowSplits: [2],
    describe: (t) => ({ kind: 'new-energy', display: `${t.slice(0, 2)}·${t.slice(2)}` }),
  },
  {
    country: 'CN',
    name: 'cn-new-energy-large',
    slots: [...head, ...repeat(digit, 5), slot('DF', 'new-energy letter')],
    oneRow: true,
    twoRowSplits: [2],
    describe: (t) => ({ kind: 'new-energy', display: `${t.slice(0, 2)}·${t.slice(2)}` }),
  },
];

/**
 * Four serial characters and a suffix character: 挂 trailer, 学 driving-school coach, 警 police,
 * 领 consulate (`沪A·0123领`; no kind of its own, diplomatic like 使), 港/澳 Hong Kong and Macau
 * cross-border vehicles, always registered as 粤Z.
 */
const SUFFIX_KINDS: Readonly<Record<string, CnPlateKind>> = {
  挂: 'trailer',
  学: 'coach',
  警: 'police',
  领: 'embassy',
  港: 'hong-kong-macau',
  澳: 'hong-kong-macau',
};
const CROSS_BORDER_HEAD = '粤Z';

const suffixedFormat: PlateFormat = {
  country: 'CN',
  name: 'cn-suffixed',
  slots: [...head, ...repeat(serialChar, 4), slot(Object.keys(SUFFIX_KINDS).join(''), 'suffix character')],
  oneRow: true,
  twoRowSplits: [2],
  check: (t) => {
    const crossBorder = SUFFIX_KINDS[t.slice(6)] === 'hong-kong-macau';
    if (crossBorder && t.slice(0, 2) !== CROSS_BORDER_HEAD)
      return `${t.slice(6)} plates are registered as ${CROSS_BORDER_HEAD}, not ${t.slice(0, 2)}`;
    return checkSerialLetters(t.slice(2, 6));
  },
  describe: (t) => ({ kind: SUFFIX_KINDS[t.slice(6)]!, display: `${t.slice(0, 2)}·${t.slice(2)}` }),
};

/**
 * Black embassy plates: `使` and six digits (three for the mission, three for the vehicle);
 * both orders are in use: `使014·578` and `224·001使`.
 */
const embassyFormats: PlateFormat[] = [
  {
    country: 'CN',
    name: 'cn-embassy-prefix',
    slots: [...literal('使', 'embassy mark 使'), ...repeat(digit, 6)],
    oneRow: true,
    twoRowSplits: null,
    describe: (t) => ({ kind: 'embassy', display: `${t.slice(0, 4)}·${t.slice(4)}` }),
  },
  {
    country: 'CN',
    name: 'cn-embassy-suffix',
    slots: [...repeat(digit, 6), ...literal('使', 'embassy mark 使')],
    oneRow: true,
    twoRowSplits: null,
    describe: (t) => ({ kind: 'embassy', display: `${t.slice(0, 3)}·${t.slice(3)}` }),
  },
];

/** All Chinese formats, most specific first (the order breaks ties between equal parses). */
export const CN_FORMATS: readonly PlateFormat[] = [
  ...embassyFormats,
  suffixedFormat,
  ...newEnergyFormats,
  ordinaryFormat,
];
