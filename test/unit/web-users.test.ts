import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { hashPassword } from '../../src/web/auth/passwords.js';
import { UserError, UserStore } from '../../src/web/auth/users.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

const PASSWORD = 'a long passphrase';
/** Low, so the tests stay quick; the default (OWASP's) is checked in the rehash test. */
const COST = { N: 1024, r: 8, p: 1 };
const START = Date.UTC(2026, 4, 1, 8, 30);

describe('UserStore', () => {
  const temp = useTempDirs();
  const setup = () => {
    const clock = new FakeClock(START);
    const dir = temp.make();
    const store = temp.open(dir, {}, clock);
    return { clock, dir, store, users: new UserStore(store.accounts, clock, { cost: COST }) };
  };

  it('adds users and lists them by username with their role and dates', async () => {
    const { clock, users } = setup();
    expect(users.count()).toBe(0);
    expect(await users.add('tran.thi.b', 'operator', PASSWORD)).toEqual({ username: 'tran.thi.b', role: 'operator' });
    clock.advance(60_000);
    await users.add('admin-1', 'admin', PASSWORD);
    expect(users.count()).toBe(2);
    expect(users.get('tran.thi.b')).toEqual({ username: 'tran.thi.b', role: 'operator' });
    expect(users.get('nobody')).toBeUndefined();
    expect(users.list()).toEqual([
      { username: 'admin-1', role: 'admin', createdAt: START + 60_000, updatedAt: START + 60_000 },
      { username: 'tran.thi.b', role: 'operator', createdAt: START, updatedAt: START },
    ]);
  });

  it('stores a scrypt hash, never the password', async () => {
    const { store, users } = setup();
    await users.add('tran.thi.b', 'viewer', PASSWORD);
    const row = store.db.prepare('SELECT password_hash FROM users').get() as { password_hash: string };
    expect(row.password_hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(row.password_hash).not.toContain(PASSWORD);
  });

  it.each([
    [
      'the right password',
      'tran.thi.b',
      PASSWORD,
      { username: 'tran.thi.b', role: 'operator', accountVersion: `${START}:${START}:operator` },
    ],
    ['a wrong password', 'tran.thi.b', 'a long passphrasf', null],
    ['an unknown user', 'le.van.c', PASSWORD, null],
    ['a username in another case', 'Tran.Thi.B', PASSWORD, null],
    ['an empty username', '', PASSWORD, null],
  ])('verify with %s', async (_, username, password, expected) => {
    const { users } = setup();
    await users.add('tran.thi.b', 'operator', PASSWORD);
    expect(await users.verify(username, password)).toEqual(expected);
  });

  it('is no faster to refuse an unknown user than a wrong password (it runs scrypt on a dummy hash)', async () => {
    const { users } = setup();
    await users.add('tran.thi.b', 'operator', PASSWORD);
    // Interleaved and the fastest of each kept, so load from other tests weighs on both alike.
    const best = { wrongPassword: Infinity, unknownUser: Infinity };
    for (let i = 0; i < 4; i++) {
      for (const [kind, username] of [
        ['wrongPassword', 'tran.thi.b'],
        ['unknownUser', 'nobody.here'],
      ] as const) {
        const start = performance.now();
        expect(await users.verify(username, 'wrong password!')).toBeNull();
        best[kind] = Math.min(best[kind], performance.now() - start);
      }
    }
    // Without the dummy hash an unknown user is answered in well under 1% of the time.
    expect(best.unknownUser).toBeGreaterThan(best.wrongPassword * 0.25);
  });

  it.each([
    ['an empty username', '', 'operator', PASSWORD, 'username: must be 1 to 64 characters, got 0'],
    ['a 65-character username', 'a'.repeat(65), 'operator', PASSWORD, 'username: must be 1 to 64 characters, got 65'],
    [
      'capitals',
      'Tran',
      'operator',
      PASSWORD,
      'username: "Tran" may contain only lowercase letters a-z, digits, ".", "_" and "-"',
    ],
    ['a space', 'tran thi', 'operator', PASSWORD, 'username: "tran thi" may contain only'],
    ['a Vietnamese letter', 'trần', 'operator', PASSWORD, 'username: "trần" may contain only'],
    ['an unknown role', 'tran', 'root', PASSWORD, 'role: must be one of viewer, operator, admin, got "root"'],
    ['a short password', 'tran', 'viewer', 'short', 'password: must be at least 10 characters long, got 5'],
  ])('add refuses %s, naming the field', async (_, username, role, password, message) => {
    const { users } = setup();
    const attempt = users.add(username, role, password);
    await expect(attempt).rejects.toThrow(UserError);
    await expect(attempt).rejects.toThrow(message);
    await expect(attempt).rejects.toMatchObject({ field: message.split(':')[0] });
    expect(users.count()).toBe(0);
  });

  it('accepts a 64-character username of every allowed character', async () => {
    const { users } = setup();
    const username = 'abcdefghijklmnopqrstuvwxyz0123456789._-'.padEnd(64, 'z');
    await users.add(username, 'viewer', PASSWORD);
    expect(users.get(username)).toBeDefined();
  });

  it('refuses a username that exists, keeping the first account', async () => {
    const { users } = setup();
    await users.add('tran.thi.b', 'operator', PASSWORD);
    await expect(users.add('tran.thi.b', 'admin', 'another passphrase')).rejects.toThrow(
      'username: "tran.thi.b" already exists',
    );
    expect(users.get('tran.thi.b')?.role).toBe('operator');
    expect(await users.verify('tran.thi.b', PASSWORD)).not.toBeNull();
  });

  it('refuses the second of two adds of one username racing each other', async () => {
    const { users } = setup();
    const results = await Promise.allSettled([
      users.add('tran.thi.b', 'operator', PASSWORD),
      users.add('tran.thi.b', 'admin', PASSWORD),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({
      reason: { field: 'username', message: 'username: "tran.thi.b" already exists' },
    });
  });

  it('setPassword replaces the password and moves updatedAt only', async () => {
    const { clock, users } = setup();
    await users.add('tran.thi.b', 'operator', PASSWORD);
    clock.advance(3_600_000);
    await users.setPassword('tran.thi.b', 'a new long passphrase');
    expect(await users.verify('tran.thi.b', PASSWORD)).toBeNull();
    expect(await users.verify('tran.thi.b', 'a new long passphrase')).toMatchObject({
      username: 'tran.thi.b',
      role: 'operator',
    });
    expect(users.list()[0]).toMatchObject({ createdAt: START, updatedAt: START + 3_600_000 });
  });

  it.each([
    ['an unknown user', 'nobody', 'a new long passphrase', 'username: no user "nobody"'],
    ['a short password', 'tran.thi.b', 'too short', 'password: must be at least 10 characters long, got 9'],
  ])('setPassword refuses %s and changes nothing', async (_, username, password, message) => {
    const { users } = setup();
    await users.add('tran.thi.b', 'operator', PASSWORD);
    await expect(users.setPassword(username, password)).rejects.toThrow(message);
    expect(await users.verify('tran.thi.b', PASSWORD)).not.toBeNull();
  });

  it('remove deletes the account; removing an unknown one is an error', async () => {
    const { users } = setup();
    await users.add('tran.thi.b', 'operator', PASSWORD);
    await users.add('le.van.c', 'viewer', PASSWORD);
    users.remove('tran.thi.b');
    expect(users.get('tran.thi.b')).toBeUndefined();
    expect(await users.verify('tran.thi.b', PASSWORD)).toBeNull();
    expect(users.list().map((u) => u.username)).toEqual(['le.van.c']);
    expect(() => users.remove('tran.thi.b')).toThrow('username: no user "tran.thi.b"');
  });

  it('gives each account a version that a new password, a removal or adding it again changes', async () => {
    const { clock, users } = setup();
    await users.add('tran.thi.b', 'operator', PASSWORD);
    const first = users.accountVersion('tran.thi.b');
    expect(first).toBeDefined();
    expect(users.accountVersion('tran.thi.b')).toBe(first);
    clock.advance(1);
    await users.setPassword('tran.thi.b', 'a new long passphrase');
    const second = users.accountVersion('tran.thi.b');
    expect(second).not.toBe(first);
    users.remove('tran.thi.b');
    expect(users.accountVersion('tran.thi.b')).toBeUndefined();
    clock.advance(1);
    await users.add('tran.thi.b', 'viewer', PASSWORD);
    expect([first, second]).not.toContain(users.accountVersion('tran.thi.b'));
  });

  it('runs each change and what the caller records of it in one transaction: a failed record undoes the change', async () => {
    const { store, clock } = setup();
    const users = new UserStore(store.accounts, clock, {
      cost: COST,
      transaction: (fn) => store.events.transaction(fn),
    });
    const recorded: string[] = [];
    await users.add('tran.thi.b', 'operator', PASSWORD, (u) => recorded.push(`added ${u.username} ${u.role}`));
    const fail = () => {
      throw new Error('disk full');
    };
    await expect(users.add('le.van.c', 'viewer', PASSWORD, fail)).rejects.toThrow('disk full');
    expect(users.get('le.van.c')).toBeUndefined();
    await expect(users.setPassword('tran.thi.b', 'a new long passphrase', fail)).rejects.toThrow('disk full');
    expect(await users.verify('tran.thi.b', PASSWORD)).not.toBeNull();
    expect(() => users.remove('tran.thi.b', fail)).toThrow('disk full');
    expect(users.get('tran.thi.b')).toBeDefined();
    users.remove('tran.thi.b', (u) => recorded.push(`removed ${u.username} ${u.role}`));
    expect(recorded).toEqual(['added tran.thi.b operator', 'removed tran.thi.b operator']);
  });

  it('keeps the accounts in the database file, across a reopen', async () => {
    const { dir, store, users } = setup();
    await users.add('tran.thi.b', 'admin', PASSWORD);
    store.close();
    const reopened = new UserStore(temp.open(dir).accounts, new FakeClock(), { cost: COST });
    expect(await reopened.verify('tran.thi.b', PASSWORD)).toMatchObject({ username: 'tran.thi.b', role: 'admin' });
  });

  it("upgrades a hash made with the old cost to OWASP's (the default) at the next login, keeping updatedAt", async () => {
    const clock = new FakeClock(START);
    const store = temp.open(temp.make(), {}, clock);
    const users = new UserStore(store.accounts, clock);
    const hashOf = () =>
      (store.db.prepare('SELECT password_hash FROM users').get() as { password_hash: string }).password_hash;
    // As the accounts made before the change were stored.
    const old = await hashPassword(PASSWORD, { N: 16384, r: 8, p: 1 });
    store.db
      .prepare(
        "INSERT INTO users (username, role, password_hash, created_at, updated_at) VALUES ('tran.thi.b', 'operator', ?, ?, ?)",
      )
      .run(old, START, START);
    clock.advance(60_000);

    expect(await users.verify('tran.thi.b', 'a wrong passphrase')).toBeNull();
    expect(hashOf()).toBe(old); // the password is not known: nothing to rehash
    const version = users.accountVersion('tran.thi.b');
    expect(await users.verify('tran.thi.b', PASSWORD)).toEqual({
      username: 'tran.thi.b',
      role: 'operator',
      accountVersion: version,
    });
    expect(hashOf()).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await users.verify('tran.thi.b', PASSWORD)).not.toBeNull();
    expect(users.list()[0]).toMatchObject({ createdAt: START, updatedAt: START });
    // A stronger hash of the same password is no change of the account: its sessions go on.
    expect(users.accountVersion('tran.thi.b')).toBe(version);
  });

  it('the table itself refuses a role that does not exist', () => {
    const { store } = setup();
    const insert = store.db.prepare(
      "INSERT INTO users (username, role, password_hash, created_at, updated_at) VALUES ('x', ?, 'h', 0, 0)",
    );
    expect(() => insert.run('root')).toThrow(/CHECK constraint/);
    expect(() => insert.run('viewer')).not.toThrow();
  });
});
