import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { migrate, MIGRATIONS, SchemaTooNewError, schemaVersion, type Migration } from '../../src/store/migrations.js';
import { openStore } from '../../src/store/store.js';
import { silentLogger } from '../../src/core/log.js';
import { STORE_DEFAULTS, useTempDirs } from '../helpers/store-fixtures.js';

const tables = (db: Database) =>
  (
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all() as { name: string }[]
  ).map((r) => r.name);

describe('migrate', () => {
  const temp = useTempDirs();
  const opened: Database[] = [];
  const open = (path: string) => {
    const db = openDatabase(path);
    opened.push(db);
    return db;
  };
  afterEach(() => opened.splice(0).forEach((db) => db.open && db.close()));

  it('creates every table on a fresh database and records the migration', () => {
    const clock = new FakeClock(Date.UTC(2026, 4, 1));
    const db = open(join(temp.make(), 'smartgate.db'));
    expect(migrate(db, clock)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(tables(db)).toEqual([
      'chain_pruned',
      'command_ids',
      'events',
      'frames',
      'images_pruned',
      'lane_seq',
      'list_entries',
      'lists',
      'outbox',
      'postcheck_passages',
      'schema_migrations',
      'site_meta',
      'users',
      'yard_calls',
      'yard_visits',
    ]);
    expect(db.prepare('SELECT version, name, applied_at FROM schema_migrations').all()).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name, applied_at: Date.UTC(2026, 4, 1) })),
    );
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
  });

  it('does nothing when reopened at the current version', () => {
    const path = join(temp.make(), 'smartgate.db');
    migrate(open(path), new FakeClock());
    opened.pop()!.close();
    const db = open(path);
    expect(migrate(db, new FakeClock())).toEqual([]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: MIGRATIONS.length });
  });

  it('brings a database at version 1 (the first release) up to date, keeping its rows', () => {
    const db = open(join(temp.make(), 'smartgate.db'));
    migrate(db, new FakeClock(), MIGRATIONS.slice(0, 1));
    db.prepare("INSERT INTO lists (name, version, received_at, entries) VALUES ('deny', 3, 0, '[]')").run();
    expect(migrate(db, new FakeClock())).toEqual(MIGRATIONS.slice(1).map((m) => m.version));
    expect(tables(db)).toContain('command_ids');
    expect(db.prepare('SELECT name, version FROM lists').all()).toEqual([{ name: 'deny', version: 3 }]);
  });

  it('moves the lists of a version 3 database into one row per entry, with their counts', () => {
    const db = open(join(temp.make(), 'smartgate.db'));
    migrate(db, new FakeClock(), MIGRATIONS.slice(0, 3));
    const insert = db.prepare('INSERT INTO lists (name, version, received_at, entries) VALUES (?, ?, ?, ?)');
    insert.run('allow', 4, 1000, JSON.stringify([{ key: '29C12345', reason: 'permit' }, { key: '云A12345' }]));
    insert.run('deny', 2, 2000, '[]');
    expect(migrate(db, new FakeClock())).toEqual([4, 5, 6, 7, 8]);
    expect(db.prepare('SELECT name, version, received_at, entry_count FROM lists ORDER BY name').all()).toEqual([
      { name: 'allow', version: 4, received_at: 1000, entry_count: 2 },
      { name: 'deny', version: 2, received_at: 2000, entry_count: 0 },
    ]);
    expect(db.prepare('SELECT list, key, entry FROM list_entries ORDER BY list, key').all()).toEqual([
      { list: 'allow', key: '29C12345', entry: '{"key":"29C12345","reason":"permit"}' },
      { list: 'allow', key: '云A12345', entry: '{"key":"云A12345"}' },
    ]);
  });

  it('applies only the migrations newer than the database, in order', () => {
    const path = join(temp.make(), 'smartgate.db');
    const order: string[] = [];
    const step = (version: number): Migration => ({
      version,
      name: `step ${version}`,
      up: (db) => {
        order.push(`step ${version}`);
        db.exec(`CREATE TABLE t${version} (x)`);
      },
    });
    migrate(open(path), new FakeClock(), [step(1)]);
    expect(migrate(opened[0]!, new FakeClock(), [step(1), step(2), step(3)])).toEqual([2, 3]);
    expect(order).toEqual(['step 1', 'step 2', 'step 3']);
  });

  it('rolls back a failing migration as a whole and keeps the earlier ones', () => {
    const db = open(join(temp.make(), 'smartgate.db'));
    const failing: Migration = {
      version: 2,
      name: 'half done',
      up: (d) => {
        d.exec('CREATE TABLE half (x)');
        throw new Error('disk on fire');
      },
    };
    const first: Migration = { version: 1, name: 'one', up: (d) => d.exec('CREATE TABLE one (x)') };
    expect(() => migrate(db, new FakeClock(), [first, failing])).toThrow('disk on fire');
    expect(tables(db)).toEqual(['one', 'schema_migrations']);
    expect(schemaVersion(db)).toBe(1);
  });

  it('refuses a database written by a newer smartgate, naming both versions', () => {
    const path = join(temp.make(), 'smartgate.db');
    const db = open(path);
    migrate(db, new FakeClock());
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 0)').run(
      MIGRATIONS.length + 1,
      'from the future',
    );
    expect(() => migrate(db, new FakeClock())).toThrow(SchemaTooNewError);
    expect(() => migrate(db, new FakeClock())).toThrow(
      `the event database has schema version ${MIGRATIONS.length + 1}, but this smartgate knows versions up to ${MIGRATIONS.length}`,
    );
  });

  it('openStore refuses the newer database too, and releases the file', () => {
    const dir = temp.make();
    const db = open(join(dir, 'smartgate.db'));
    migrate(db, new FakeClock());
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, ?, 0)').run('from the future');
    db.close();
    const ctx = { clock: new FakeClock(), log: silentLogger };
    expect(() => openStore(ctx, { dataDir: dir, siteId: 'mlt-kth', config: STORE_DEFAULTS })).toThrow(
      /schema version 99/,
    );
    // Not left locked: the same process can open it again (still refused, for the same reason).
    expect(() =>
      openStore(ctx, { dataDir: dir, siteId: 'mlt-kth', config: STORE_DEFAULTS, busyTimeoutMs: 50 }),
    ).toThrow(/schema version 99/);
  });

  it.each([
    [[2], 'version 2, expected 1'],
    [[1, 3], 'version 3, expected 2'],
  ])('refuses migration lists out of order (%j)', (versions, message) => {
    const db = open(join(temp.make(), 'smartgate.db'));
    const list = versions.map((version) => ({ version, name: `m${version}`, up: () => {} }));
    expect(() => migrate(db, new FakeClock(), list)).toThrow(message);
  });
});
