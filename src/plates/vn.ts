import { dottedOrder, literal, repeat, slot, type PlateFormat, type Slot } from './format.js';
import type { VnPlateKind } from './types.js';

/**
 * Vietnamese plate formats: Circular 24/2023/TT-BCA (and 58/2020/TT-BCA before it; as far as
 * we know its successor 79/2024/TT-BCA keeps the layout), Ministry of Defence Circular
 * 169/2021/TT-BQP for military plates. docs/plates.md lists each format with its sources.
 *
 * Kind is what the text can tell. Colour decides commercial (yellow) and most state (blue)
 * plates, and the text of those is the same as a private car's: without a colour hint a
 * yellow `51G-123.45` is reported as `car`. Only province 80 (central agencies) and the `CD`
 * series are state plates by text alone.
 */

/** Province codes of Circular 24/2023 Appendix 02 (10, 13, 42, 44-46, 87, 91, 96 unused). */
const PROVINCE_CODES = new Set<string>([
  '11',
  '12',
  '14',
  '15',
  '16',
  '17',
  '18',
  '19',
  '20',
  '21',
  '22',
  '23',
  '24',
  '25',
  '26',
  '27',
  '28',
  '29',
  '30',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '38',
  '39',
  '40',
  '41',
  '43',
  '47',
  '48',
  '49',
  '50',
  '51',
  '52',
  '53',
  '54',
  '55',
  '56',
  '57',
  '58',
  '59',
  '60',
  '61',
  '62',
  '63',
  '64',
  '65',
  '66',
  '67',
  '68',
  '69',
  '70',
  '71',
  '72',
  '73',
  '74',
  '75',
  '76',
  '77',
  '78',
  '79',
  '80',
  '81',
  '82',
  '83',
  '84',
  '85',
  '86',
  '88',
  '89',
  '90',
  '92',
  '93',
  '94',
  '95',
  '97',
  '98',
  '99',
]);

/** Province code of the central agencies' (blue) plates. */
const CENTRAL_AGENCIES = '80';

const DIGITS = '0123456789';
/**
 * The 20 series letters (no I, J, O, Q, W) plus R: the trailer series on cars, and seen on
 * Ho Chi Minh City motorbikes (`51-R3 2161` in the GreenParking set).
 */
const SERIES_LETTERS = 'ABCDEFGHKLMNPRSTUVXYZ';

/**
 * Two-letter car series: LD foreign-invested firms, DA foreign projects, KT military-run
 * businesses, MK tractors, TĐ pilot vehicles (written TD), HC restricted-area vehicles,
 * CD police special-purpose (blue). Motorbikes use two letters too (mopeds under 50 cc, and
 * LD bikes); the read's layout tells a `29LD-123.45` car from a `29-LD 123.45` motorbike.
 */
const CAR_TWO_LETTER_SERIES = ['LD', 'DA', 'KT', 'MK', 'TD', 'HC', 'CD'] as const;
/** Foreign-entity series: NG diplomatic, QT international organisations, NN other foreigners, CV mission staff. */
const FOREIGN_SERIES: Readonly<Record<string, VnPlateKind>> = {
  NG: 'foreign-ng',
  QT: 'foreign-qt',
  NN: 'foreign-nn',
  CV: 'foreign-ng',
};
/** Unit codes' first letter on military plates (A corps, B commands, H academies, K regions...). */
const MILITARY_FIRST = 'ABCDHKNPQTV';
const MILITARY_SECOND = 'ABCDEFGHKLMNPQRSTUVXYZ';

const digit = slot(DIGITS, 'digit');
const provinceDigit = slot(DIGITS, 'province code digit');
const province: Slot[] = [provinceDigit, provinceDigit];
const orderLengths = [5, 4] as const;

function checkProvince(code: string): string | null {
  return PROVINCE_CODES.has(code) ? null : `unknown province code ${code}`;
}

const checkLeadingProvince = (text: string): string | null => checkProvince(text.slice(0, 2));

function carKind(provinceCode: string, series: string): VnPlateKind {
  return provinceCode === CENTRAL_AGENCIES || series === 'CD' ? 'state' : 'car';
}

/** `29A-123.45`, `29LD-1234`; one row, or two (`29A` over `123.45`) on square plates. */
function carFormats(): PlateFormat[] {
  const series: Array<{ name: string; slots: Slot[] }> = [
    { name: 'letter', slots: [slot(SERIES_LETTERS, 'series letter')] },
    ...CAR_TWO_LETTER_SERIES.map((s) => ({ name: s, slots: literal(s, `series ${s}`) })),
  ];
  return series.flatMap((s) =>
    orderLengths.map((n): PlateFormat => ({
      country: 'VN',
      name: `vn-car-${s.name}-${n}`,
      slots: [...province, ...s.slots, ...repeat(digit, n)],
      oneRow: true,
      twoRowSplits: [2 + s.slots.length],
      check: checkLeadingProvince,
      describe: (t) => {
        const head = t.slice(0, 2 + s.slots.length);
        return { kind: carKind(t.slice(0, 2), head.slice(2)), display: `${head}-${dottedOrder(t.slice(head.length))}` };
      },
    })),
  );
}

/** `59-P1 664.80`, `54-T1 5417`, `29-MĐ1 013.53` (electric, written MD), `59-AA 123.45` (<50 cc). */
function motorbikeFormats(): PlateFormat[] {
  const series: Array<{ name: string; slots: Slot[] }> = [
    { name: 'letter-digit', slots: [slot(SERIES_LETTERS, 'series letter'), slot('123456789', 'series digit')] },
    { name: 'MD', slots: [...literal('MD', 'series MĐ'), slot('123456789', 'series digit')] },
    { name: 'two-letter', slots: [slot(SERIES_LETTERS, 'series letter'), slot(SERIES_LETTERS, 'series letter')] },
  ];
  return series.flatMap((s) =>
    orderLengths.map((n): PlateFormat => ({
      country: 'VN',
      name: `vn-motorbike-${s.name}-${n}`,
      slots: [...province, ...s.slots, ...repeat(digit, n)],
      oneRow: false,
      twoRowSplits: [2 + s.slots.length],
      check: checkLeadingProvince,
      describe: (t) => {
        const seriesEnd = 2 + s.slots.length;
        return {
          kind: 'motorbike',
          display: `${t.slice(0, 2)}-${t.slice(2, seriesEnd)} ${dottedOrder(t.slice(seriesEnd))}`,
        };
      },
    })),
  );
}

/**
 * Foreign entities, two layouts in use: `80NG-636-70` (province, series, 3 + 2 digits) and the
 * older `41-291-NG-01` (province, 3-digit country code, series, 2-digit order).
 */
function foreignFormats(): PlateFormat[] {
  return Object.entries(FOREIGN_SERIES).flatMap(([series, kind]): PlateFormat[] => {
    const seriesSlots = literal(series, `series ${series}`);
    return [
      {
        country: 'VN',
        name: `vn-foreign-${series}`,
        slots: [...province, ...seriesSlots, ...repeat(digit, 5)],
        oneRow: true,
        twoRowSplits: null,
        check: checkLeadingProvince,
        describe: (t) => ({ kind, display: `${t.slice(0, 4)}-${t.slice(4, 7)}-${t.slice(7)}` }),
      },
      {
        country: 'VN',
        name: `vn-foreign-${series}-country-first`,
        slots: [...province, ...repeat(slot(DIGITS, 'country code digit'), 3), ...seriesSlots, ...repeat(digit, 2)],
        oneRow: true,
        twoRowSplits: null,
        check: checkLeadingProvince,
        describe: (t) => ({ kind, display: `${t.slice(0, 2)}-${t.slice(2, 5)}-${t.slice(5, 7)}-${t.slice(7)}` }),
      },
    ];
  });
}

/** Red military plates: two-letter unit code and four digits, `TM-12-34`. */
const militaryFormat: PlateFormat = {
  country: 'VN',
  name: 'vn-military',
  slots: [
    slot(MILITARY_FIRST, 'military unit letter'),
    slot(MILITARY_SECOND, 'military unit letter'),
    ...repeat(digit, 4),
  ],
  oneRow: true,
  twoRowSplits: [2],
  colours: ['red'],
  describe: (t) => ({ kind: 'military', display: `${t.slice(0, 2)}-${t.slice(2, 4)}-${t.slice(4)}` }),
};

/** Temporary registration: `T`, province, five digits, `T29-123.45`. */
const temporaryFormat: PlateFormat = {
  country: 'VN',
  name: 'vn-temporary',
  slots: [...literal('T', 'temporary mark T'), ...province, ...repeat(digit, 5)],
  oneRow: true,
  twoRowSplits: null,
  check: (t) => checkProvince(t.slice(1, 3)),
  describe: (t) => ({ kind: 'temporary', display: `${t.slice(0, 3)}-${dottedOrder(t.slice(3))}` }),
};

/** All Vietnamese formats, most specific first (the order breaks ties between equal parses). */
export const VN_FORMATS: readonly PlateFormat[] = [
  militaryFormat,
  temporaryFormat,
  ...foreignFormats(),
  ...carFormats(),
  ...motorbikeFormats(),
];
