import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/index.js';

const BASE = `site: { id: mlt-kth, name: Gate }
lanes:
  - id: entry-1
    direction: entry
    camera: { url: "rtsp://cam/1" }
`;

const problems = (text: string) => {
  try {
    parseConfig(text, 'gate.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('store config', () => {
  it('defaults to durable writes, 90 days, 10 GB, hourly', () => {
    expect(parseConfig(BASE, 'gate.yaml').store).toEqual({
      synchronous: 'FULL',
      retentionDays: 90,
      quotaMb: 10240,
      retentionIntervalMs: 3_600_000,
      checkpointIntervalMs: 900_000,
      lists: { maxEntries: 200_000 },
    });
  });

  it('takes what is given and fills the rest', () => {
    expect(parseConfig(`${BASE}store: { synchronous: NORMAL, quotaMb: 2048 }\n`, 'gate.yaml').store).toEqual({
      synchronous: 'NORMAL',
      retentionDays: 90,
      quotaMb: 2048,
      retentionIntervalMs: 3_600_000,
      checkpointIntervalMs: 900_000,
      lists: { maxEntries: 200_000 },
    });
  });

  it.each([
    ['synchronous: fast', 'store.synchronous: expected "FULL" or "NORMAL", got "fast"'],
    ['retentionDays: 0', 'store.retentionDays: must be at least 1'],
    ['quotaMb: 1.5', 'store.quotaMb: expected an integer, got 1.5'],
    ['retentionIntervalMs: 0', 'store.retentionIntervalMs: must be greater than 0'],
    ['checkpointIntervalMs: -5', 'store.checkpointIntervalMs: must be greater than 0'],
    ['vacuum: true', 'store: unknown key "vacuum"'],
    ['lists: { maxEntries: 0 }', 'store.lists.maxEntries: must be at least 1'],
  ])('refuses %s', (field, problem) => {
    expect(problems(`${BASE}store: { ${field} }\n`)).toEqual([problem]);
  });
});
