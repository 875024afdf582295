import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, openDatabaseReadOnly, StoreLockedError } from '../../src/store/database.js';
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

  it('lets a reader in beside the writer: it sees what the writer committed and cannot write', () => {
    const path = join(temp.make(), 'smartgate.db');
    const writer = openDatabase(path);
    try {
      writer.exec('CREATE TABLE t (x INTEGER)');
      writer.prepare('INSERT INTO t VALUES (?)').run(1);
      const reader = openDatabaseReadOnly(path);
      try {
        expect(reader.prepare('SELECT x FROM t').all()).toEqual([{ x: 1 }]);
        writer.prepare('INSERT INTO t VALUES (?)').run(2);
        expect(reader.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 2 });
        expect(() => reader.exec('INSERT INTO t VALUES (3)')).toThrow(/readonly/);
      } finally {
        reader.close();
      }
    } finally {
      writer.close();
    }
  });

  it('reads a database no writer has open, and names one that is not there', () => {
    const path = join(temp.make(), 'smartgate.db');
    const writer = openDatabase(path);
    writer.exec('CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7)');
    writer.close();
    const reader = openDatabaseReadOnly(path);
    expect(reader.prepare('SELECT x FROM t').get()).toEqual({ x: 7 });
    reader.close();
    expect(() => openDatabaseReadOnly(join(temp.make(), 'none.db'))).toThrow(/^no event database at /);
  });
});
