import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { POSTCHECK_FLAGS } from '../../src/domain/declarations.js';
import { EVENT_TYPES } from '../../src/domain/events.js';
import { DECLARED_CLASSES } from '../../src/lane/deciding/list-entries.js';
import { DECISION_REASONS, GATE_HOLD_REASONS, LANE_BUSY } from '../../src/lane/deciding/decision-reasons.js';

// The page's translations: Vietnamese first, Chinese and English, with the same keys.
const STATIC = join(import.meta.dirname, '../../src/web/static');
const LANGUAGES = ['vi', 'zh', 'en'] as const;
const dictionaries = Object.fromEntries(
  LANGUAGES.map((l) => [
    l,
    JSON.parse(readFileSync(join(STATIC, 'i18n', `${l}.json`), 'utf8')) as Record<string, string>,
  ]),
);

describe('page translations', () => {
  it('have the same keys in every language, none empty', () => {
    const keys = Object.keys(dictionaries.vi!).sort();
    expect(keys.length).toBeGreaterThan(100);
    for (const l of LANGUAGES) {
      expect(Object.keys(dictionaries[l]!).sort(), l).toEqual(keys);
      for (const [key, text] of Object.entries(dictionaries[l]!)) expect(text.trim(), `${l}: ${key}`).not.toBe('');
    }
  });

  it('cover every key the page names in its HTML', () => {
    const html = readFileSync(join(STATIC, 'index.html'), 'utf8');
    const used = [...html.matchAll(/data-i18n(?:-[a-z-]+)?="([^"]+)"/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(10);
    for (const key of used) expect(dictionaries.vi, key).toHaveProperty([key]);
  });

  it('name every event type and every reason a vehicle is held or let through for', () => {
    const codes = [
      ...EVENT_TYPES.map((type) => `event.type.${type}`),
      ...[...DECISION_REASONS, LANE_BUSY, ...GATE_HOLD_REASONS].map((reason) => `reason.${reason}`),
    ];
    for (const key of codes) expect(dictionaries.vi, key).toHaveProperty([key]);
  });

  it('name every post-check flag and every class a fee is declared for', () => {
    const codes = [
      ...POSTCHECK_FLAGS.map((kind) => `postcheck.flag.${kind}`),
      ...DECLARED_CLASSES.map((c) => `vehicleClass.${c}`),
    ];
    for (const key of codes) expect(dictionaries.vi, key).toHaveProperty([key]);
  });

  it('are real translations: Vietnamese with its diacritics, Chinese in Han characters', () => {
    expect(dictionaries.vi!['app.title']).toMatch(/[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/i);
    expect(dictionaries.zh!['app.title']).toMatch(/[\u4e00-\u9fff]/);
    expect(dictionaries.en!['app.title']).toMatch(/^[\x20-\x7e]+$/);
  });
});
