import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, StoreLockedError } from '../../src/store/database.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

describe('openDatabase', () => {
  const temp = useTempDirs();

  it.each([
    ['FULL', 2],
    ['NORMAL', 1],
  ] as const)('opens in WAL mode with synchronous=%s, foreign keys and a busy timeout', (synchronous, level) => {
    const path = join(temp.make(), 'nested', 'smartgate.db');
    const db = openDatabase(path, { synchronous, busyTimeoutMs: 1234 });
    try {
      expect(existsSync(path)).toBe(true);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(level);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
      expect(db.pragma('auto_vacuum', { simple: true })).toBe(2); // incremental
    } finally {
      db.close();
    }
  });

  it.each([
    ['a directory', (dir: string) => mkdirSync(join(dir, 'smartgate.db'))],
    ['not a database', (dir: string) => writeFileSync(join(dir, 'smartgate.db'), 'x'.repeat(4096))],
  ])('names the file when it is %s', (_, prepare) => {
    const dir = temp.make();
    prepare(dir);
    expect(() => openDatabase(join(dir, 'smartgate.db'))).toThrow(
      new RegExp(`^cannot open the event database ${join(dir, 'smartgate.db')}: `),
    );
  });

  it('refuses a second opener while the first holds the file, and lets it in after close', () => {
    const path = join(temp.make(), 'smartgate.db');
    const first = openDatabase(path);
    let error: unknown;
    try {
      openDatabase(path, { busyTimeoutMs: 50 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StoreLockedError);
    expect((error as Error).message).toContain(`${path} is locked by another process (is another smartgate running`);
    first.close();
    const second = openDatabase(path, { busyTimeoutMs: 50 });
    second.close();
  });
});
