import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import { openStore } from '../../src/store/store.js';
import { UserStore } from '../../src/web/auth/users.js';
import { builtCli } from '../helpers/demo-clip.js';
import { STORE_DEFAULTS } from '../helpers/store-fixtures.js';

// `smartgate user` as an installer runs it: the built CLI in a child process, on a real data dir.

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [builtCli(), 'user', ...args],
      { timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
      },
    );
    child.stdin!.end(stdin ?? '');
  });
}

/** Runs the CLI on a pseudo-terminal (util-linux `script`), typing each answer once its prompt shows. */
function runOnTerminal(args: string[], answers: string[]): Promise<Run & { screen: string }> {
  const command = [process.execPath, builtCli(), 'user', ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('/usr/bin/script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  let prompts = 0;
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString();
    const seen = screen.match(/password: /gi)?.length ?? 0;
    while (prompts < seen && prompts < answers.length) child.stdin.write(`${answers[prompts++]}\r`);
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: screen, stderr: '', screen });
    });
  });
}

/** The accounts as the daemon would see them (the CLI has exited, so the database is free). */
async function withUsers<T>(dataDir: string, fn: (users: UserStore) => Promise<T> | T): Promise<T> {
  const store = openStore(
    { clock: new FakeClock(), log: silentLogger },
    { dataDir, siteId: 'mlt-kth', config: STORE_DEFAULTS },
  );
  try {
    return await fn(new UserStore(store.accounts, new FakeClock()));
  } finally {
    store.close();
  }
}

let root: string;
let counter = 0;
const freshDir = () => join(root, `data-${++counter}`);

beforeAll(async () => {
  builtCli();
  root = await mkdtemp(join(tmpdir(), 'smartgate-cli-user-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('smartgate user', () => {
  it('adds accounts from stdin and lists them with role and creation date', async () => {
    const dir = freshDir();
    const before = Date.now();
    const add = await runCli(
      ['add', '--data-dir', dir, '--username', 'tran.thi.b', '--role', 'operator', '--password-stdin'],
      'a long passphrase\nignored second line\n',
    );
    expect(add).toMatchObject({ code: 0, stdout: 'added tran.thi.b (operator)\n' });
    expect(
      (
        await runCli(
          ['add', '--data-dir', dir, '--username', 'admin', '--role', 'admin', '--password-stdin'],
          'another passphrase',
        )
      ).code,
    ).toBe(0);

    const list = await runCli(['list', '--data-dir', dir]);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^USERNAME\s+ROLE\s+CREATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['admin', 'admin'],
      ['tran.thi.b', 'operator'],
    ]);
    const created = lines[1]!.match(/(\d{4}-\d\d-\d\d \d\d:\d\d) UTC$/)?.[1];
    expect(Date.parse(`${created!.replace(' ', 'T')}Z`)).toBeGreaterThanOrEqual(Math.floor(before / 60_000) * 60_000);

    // Only the first line is the password; the login would use exactly it.
    await withUsers(dir, async (users) => {
      expect(await users.verify('tran.thi.b', 'a long passphrase')).toMatchObject({
        username: 'tran.thi.b',
        role: 'operator',
      });
      expect(await users.verify('admin', 'another passphrase')).toMatchObject({ username: 'admin', role: 'admin' });
    });
  });

  it('passwd changes the password and says what happens to the sessions; remove deletes the account', async () => {
    const dir = freshDir();
    await runCli(
      ['add', '--data-dir', dir, '--username', 'tran.thi.b', '--role', 'viewer', '--password-stdin'],
      'a long passphrase\n',
    );
    const passwd = await runCli(
      ['passwd', '--data-dir', dir, '--username', 'tran.thi.b', '--password-stdin'],
      'a new long passphrase\r\n',
    );
    expect(passwd.code).toBe(0);
    expect(passwd.stdout).toContain('password of tran.thi.b changed');
    expect(passwd.stdout).toContain("sessions live only in the daemon's memory, and the daemon is not running");
    await withUsers(dir, async (users) => {
      expect(await users.verify('tran.thi.b', 'a long passphrase')).toBeNull();
      expect(await users.verify('tran.thi.b', 'a new long passphrase')).not.toBeNull();
    });

    const remove = await runCli(['remove', '--data-dir', dir, '--username', 'tran.thi.b']);
    expect(remove.code).toBe(0);
    expect(remove.stdout).toMatch(/^removed tran\.thi\.b\. tran\.thi\.b has no page session/);
    expect((await runCli(['list', '--data-dir', dir])).stdout).toBe(
      'no users yet: create one with smartgate user add\n',
    );
  });

  it('records each account change as an auth event on lane gate, under the site of the newest event, never the password', async () => {
    const dir = freshDir();
    await runCli(
      ['add', '--data-dir', dir, '--username', 'tran.thi.b', '--role', 'viewer', '--password-stdin'],
      'a long passphrase\n',
    );
    // The daemon ran in between: the first change, made before any site was known, became its
    // site's when it opened the store, and it recorded under its site.
    const daemon = openStore(
      { clock: new FakeClock(), log: silentLogger },
      { dataDir: dir, siteId: 'mlt-kth', config: STORE_DEFAULTS },
    );
    daemon.events.append({ type: 'alarm', laneId: 'gate', payload: { alarm: 'test' } });
    daemon.close();
    await runCli(
      ['passwd', '--data-dir', dir, '--username', 'tran.thi.b', '--password-stdin'],
      'a new long passphrase\n',
    );
    await runCli(['remove', '--data-dir', dir, '--username', 'tran.thi.b']);
    expect((await runCli(['remove', '--data-dir', dir, '--username', 'tran.thi.b'])).code).toBe(2); // nothing removed, nothing recorded

    const store = openStore(
      { clock: new FakeClock(), log: silentLogger },
      { dataDir: dir, siteId: 'x', config: STORE_DEFAULTS },
    );
    try {
      const rows = store.db
        .prepare("SELECT site_id, lane_id, payload FROM events WHERE type = 'auth' ORDER BY event_id")
        .all() as { site_id: string; lane_id: string; payload: string }[];
      expect(rows.map((r) => [r.site_id, r.lane_id, JSON.parse(r.payload)])).toEqual([
        ['mlt-kth', 'gate', { action: 'user-added', username: 'tran.thi.b', role: 'viewer', source: 'cli' }],
        ['mlt-kth', 'gate', { action: 'password-changed', username: 'tran.thi.b', source: 'cli' }],
        ['mlt-kth', 'gate', { action: 'user-removed', username: 'tran.thi.b', role: 'viewer', source: 'cli' }],
      ]);
      expect(JSON.stringify(store.db.prepare('SELECT * FROM events').all())).not.toContain('passphrase');
    } finally {
      store.close();
    }
  });

  it.each([
    ['no action', ['--data-dir', 'D'], 'expected one action, add, passwd, remove, list; got none'],
    ['an unknown action', ['rename', '--data-dir', 'D'], 'got "rename"'],
    ['an unknown option', ['list', '--data-dir', 'D', '--colour'], "Unknown option '--colour'"],
    ['no --data-dir', ['list'], '--data-dir is required'],
    ['no --username', ['remove', '--data-dir', 'D'], '--username is required for remove'],
    ['no --role', ['add', '--data-dir', 'D', '--username', 'tran'], '--role is required for add'],
    [
      'an unknown role',
      ['add', '--data-dir', 'D', '--username', 'tran', '--role', 'root'],
      '--role must be one of viewer, operator, admin, got "root"',
    ],
    [
      '--role with passwd',
      ['passwd', '--data-dir', 'D', '--username', 'tran', '--role', 'admin'],
      '--role is only for add',
    ],
    [
      '--password-stdin with remove',
      ['remove', '--data-dir', 'D', '--username', 'tran', '--password-stdin'],
      '--password-stdin is only for add and passwd',
    ],
    [
      'a username with capitals',
      ['add', '--data-dir', 'D', '--username', 'Tran', '--role', 'viewer'],
      '--username: "Tran" may contain only lowercase letters',
    ],
    [
      'a username too long',
      ['remove', '--data-dir', 'D', '--username', 'a'.repeat(65)],
      '--username: must be 1 to 64 characters, got 65',
    ],
  ])('refuses %s with exit 2, naming the option, and touches nothing', async (_, args, message) => {
    const dir = freshDir();
    const { code, stderr } = await runCli(args.map((a) => (a === 'D' ? dir : a)));
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain('usage: smartgate user');
    expect(existsSync(dir)).toBe(false);
  });

  it.each([
    [
      'a short password',
      ['add', '--username', 'tran', '--role', 'viewer', '--password-stdin'],
      'short\n',
      'password: must be at least 10 characters long, got 5',
    ],
    [
      'an empty stdin',
      ['add', '--username', 'tran', '--role', 'viewer', '--password-stdin'],
      '',
      'password: must be at least 10 characters long, got 0',
    ],
    [
      'no terminal and no --password-stdin',
      ['add', '--username', 'tran', '--role', 'viewer'],
      'a long passphrase\n',
      '--password-stdin: needed when stdin is not a terminal',
    ],
    [
      'a username taken',
      ['add', '--username', 'taken', '--role', 'admin', '--password-stdin'],
      'a long passphrase\n',
      'username: "taken" already exists',
    ],
    [
      'passwd of an unknown user',
      ['passwd', '--username', 'nobody', '--password-stdin'],
      'a long passphrase\n',
      'username: no user "nobody"',
    ],
    ['remove of an unknown user', ['remove', '--username', 'nobody'], '', 'username: no user "nobody"'],
  ])('refuses %s with exit 2 and changes nothing', async (_, args, stdin, message) => {
    const dir = freshDir();
    await runCli(
      ['add', '--data-dir', dir, '--username', 'taken', '--role', 'viewer', '--password-stdin'],
      'the first passphrase\n',
    );
    const { code, stderr } = await runCli([...args, '--data-dir', dir], stdin);
    expect(stderr).toContain(message);
    expect(code).toBe(2);
    await withUsers(dir, async (users) => {
      expect(users.list().map((u) => [u.username, u.role])).toEqual([['taken', 'viewer']]);
      expect(await users.verify('taken', 'the first passphrase')).not.toBeNull();
    });
  });

  it.each(['list', 'remove'])('%s refuses a --data-dir without a database, and does not create one', async (action) => {
    const dir = freshDir();
    const { code, stderr } = await runCli([
      action,
      '--data-dir',
      dir,
      ...(action === 'remove' ? ['--username', 'tran'] : []),
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(`--data-dir: no smartgate.db in ${dir}`);
    expect(existsSync(dir)).toBe(false);
  });

  it('writes beside the process holding the store (the daemon), which sees the account at once', async () => {
    const dir = freshDir();
    const daemonStore = openStore(
      { clock: new FakeClock(), log: silentLogger },
      { dataDir: dir, siteId: 'mlt-kth', config: STORE_DEFAULTS },
    );
    try {
      const users = new UserStore(daemonStore.accounts, new FakeClock());
      // A daemon that has recorded nothing yet: the site of the change is not known, so nothing is written.
      const early = await runCli(
        ['add', '--data-dir', dir, '--username', 'tran', '--role', 'viewer', '--password-stdin'],
        'a long passphrase\n',
      );
      expect(early.code).toBe(1);
      expect(early.stderr).toContain('the running daemon has recorded no event yet');
      expect(users.count()).toBe(0);

      daemonStore.events.append({ type: 'alarm', laneId: 'gate', payload: { alarm: 'test' } });
      const add = await runCli(
        ['add', '--data-dir', dir, '--username', 'tran', '--role', 'viewer', '--password-stdin'],
        'a long passphrase\n',
      );
      expect(add).toMatchObject({ code: 0, stderr: '', stdout: 'added tran (viewer): the page takes it at once\n' });
      expect(await users.verify('tran', 'a long passphrase')).toMatchObject({ username: 'tran', role: 'viewer' });
      const remove = await runCli(['remove', '--data-dir', dir, '--username', 'tran']);
      expect(remove.code).toBe(0);
      expect(remove.stdout).toContain('The running daemon ends the page sessions of tran at their next request');
      expect(users.count()).toBe(0);
      // Both changes recorded on the daemon's chain, in order after its own event.
      const events = daemonStore.db
        .prepare(
          "SELECT type, seq, site_id AS siteId, boot_id AS bootId FROM events WHERE lane_id = 'gate' ORDER BY seq",
        )
        .all() as { type: string; seq: number; siteId: string; bootId: string }[];
      expect(events.map((e) => [e.type, e.seq, e.siteId])).toEqual([
        ['alarm', 1, 'mlt-kth'],
        ['auth', 2, 'mlt-kth'],
        ['auth', 3, 'mlt-kth'],
      ]);
      // Each run of the command is a process of its own, not the daemon's boot.
      expect(new Set(events.map((e) => e.bootId)).size).toBe(3);
    } finally {
      daemonStore.close();
    }
  });

  it.each([
    ['newer', "INSERT INTO schema_migrations (version, name, applied_at) VALUES (1000, 'from the future', 0)"],
    ['older', 'DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)'],
  ])('refuses to write beside a daemon whose store has a %s schema (exit 1), and changes nothing', async (_, sql) => {
    const dir = freshDir();
    const daemonStore = openStore(
      { clock: new FakeClock(), log: silentLogger },
      { dataDir: dir, siteId: 'mlt-kth', config: STORE_DEFAULTS },
    );
    try {
      daemonStore.events.append({ type: 'alarm', laneId: 'gate', payload: { alarm: 'test' } });
      daemonStore.db.exec(sql);
      const found = (daemonStore.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number })
        .v;
      const { code, stderr } = await runCli(
        ['add', '--data-dir', dir, '--username', 'tran', '--role', 'viewer', '--password-stdin'],
        'a long passphrase\n',
      );
      expect(code).toBe(1);
      expect(stderr).toContain(`has schema version ${found}, but this smartgate writes version`);
      expect(stderr).toContain('the daemon running on it is of another smartgate version');
      expect(new UserStore(daemonStore.accounts, new FakeClock()).count()).toBe(0);
      expect(daemonStore.events.pendingCount()).toBe(1);
    } finally {
      daemonStore.close();
    }
  });

  it('on a terminal, asks for the password twice without showing it', async () => {
    const dir = freshDir();
    const run = await runOnTerminal(
      ['add', '--data-dir', dir, '--username', 'tran.thi.b', '--role', 'admin'],
      ['typed on the keyboard', 'typed on the keyboard'],
    );
    expect(run.code).toBe(0);
    expect(run.screen).toMatch(/New password: [\s\S]*Repeat the password: [\s\S]*added tran\.thi\.b \(admin\)/);
    expect(run.screen).not.toContain('typed');
    await withUsers(dir, async (users) =>
      expect(await users.verify('tran.thi.b', 'typed on the keyboard')).not.toBeNull(),
    );
  });

  it('on a terminal, refuses two different entries (exit 2) and adds nobody', async () => {
    const dir = freshDir();
    const run = await runOnTerminal(
      ['add', '--data-dir', dir, '--username', 'tran.thi.b', '--role', 'admin'],
      ['typed on the keyboard', 'typed on the keybaord'],
    );
    expect(run.screen).toContain('password: the two entries differ; nothing was changed');
    expect(run.code).toBe(2);
    await withUsers(dir, (users) => expect(users.count()).toBe(0));
  });

  it('is listed in smartgate --help', async () => {
    const { stdout } = await new Promise<Run>((resolve) =>
      execFile(process.execPath, [builtCli(), '--help'], (err, stdout, stderr) =>
        resolve({ code: err ? 1 : 0, stdout, stderr }),
      ),
    );
    expect(stdout).toMatch(/^ {2}user +accounts of the status page/m);
  });
});
