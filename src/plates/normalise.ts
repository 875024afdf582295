/**
 * Text normalisation shared by the plate grammars and the scorer: upper case, only ASCII
 * letters, digits and CJK characters kept, so separators (`-`, `.`, `·`, spaces) and OCR
 * punctuation noise disappear. It matches `score-plates.mjs` (`[^0-9A-Z\u3400-\u9fff]` removed)
 * after three foldings the scorer does not need but OCR output does:
 *  - full-width and other compatibility forms to ASCII (NFKC: `Ａ１` → `A1`);
 *  - Vietnamese `Đ` to `D` (the `MĐ`/`TĐ` series; the datasets label it `D`);
 *  - traditional glyphs of the Chinese province and suffix characters to the simplified ones
 *    printed on plates (`雲` → `云`, `學` → `学`): same character, other glyph standard.
 */
const TRADITIONAL_TO_SIMPLIFIED: Readonly<Record<string, string>> = {
  滬: '沪',
  雲: '云',
  遼: '辽',
  魯: '鲁',
  蘇: '苏',
  贛: '赣',
  晉: '晋',
  陝: '陕',
  閩: '闽',
  貴: '贵',
  粵: '粤',
  寧: '宁',
  瓊: '琼',
  掛: '挂',
  學: '学',
  領: '领',
};

const NOT_PLATE_CHAR = /[^0-9A-Z\u3400-\u9fff]/g;

export function normalisePlateText(s: string): string {
  return s
    .normalize('NFKC')
    .replace(/[Đđ]/g, 'D')
    .replace(/[\u3400-\u9fff]/g, (c) => TRADITIONAL_TO_SIMPLIFIED[c] ?? c)
    .toUpperCase()
    .replace(NOT_PLATE_CHAR, '');
}

/**
 * Where separators (`-`, `.`, `·`, spaces, row breaks) fall in `s`, as indexes into its
 * normalised text: `54-T1 5417` → [2, 4]. Separators before the first or after the last plate
 * character are ignored. The grammar compares these with a format's display form: a read
 * `54-T1 5417` is laid out as a motorbike plate, `54T-154.17` as a car plate.
 */
export function separatorPositions(s: string): number[] {
  const positions: number[] = [];
  let index = 0;
  for (const c of s) {
    const n = normalisePlateText(c).length;
    if (n > 0) {
      index += n;
    } else if (index > 0 && positions.at(-1) !== index) {
      positions.push(index);
    }
  }
  return positions.filter((p) => p < index);
}
