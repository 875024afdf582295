import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { storeSchema } from '../config/store.js';
import { StoreLockedError } from '../store/database.js';
import { EventStore } from '../store/event-store.js';
import { DATABASE_FILE, openStore, SITE_NOT_YET_KNOWN, type Store } from '../store/store.js';
import { EventAuthAudit, type AuthAudit } from '../web/auth/audit.js';
import { passwordProblem } from '../web/auth/passwords.js';
import { isRole, usernameProblem, UserError, UserStore } from '../web/auth/users.js';
import { ROLES } from '../web/types.js';
import { helpRequested, printUsage } from './usage.js';

const USAGE = `usage: smartgate user ACTION --data-dir DIR [options]
  add --username NAME --role ${ROLES.join('|')} [--password-stdin]   create an account
  passwd --username NAME [--password-stdin]   change a password
  remove --username NAME                      delete an account
  list                                        the accounts: username, role, created
options:
  --data-dir DIR      the daemon's dataDir (the accounts are in DIR/${DATABASE_FILE}); stop the daemon first
  --password-stdin    read the password from the first line of stdin instead of asking twice on the terminal`;

const ACTIONS = ['add', 'passwd', 'remove', 'list'] as const;
type Action = (typeof ACTIONS)[number];

/** Bad options or input: exit 2 with the message, which names the option or field. */
class UsageError extends Error {}

interface Options {
  action: Action;
  dataDir: string;
  username: string;
  role: string;
  passwordStdin: boolean;
}

export function parseUserArgs(args: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        'data-dir': { type: 'string' },
        username: { type: 'string' },
        role: { type: 'string' },
        'password-stdin': { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const action = positionals[0];
  if (positionals.length !== 1 || !ACTIONS.includes(action as Action)) {
    throw new UsageError(
      `expected one action, ${ACTIONS.join(', ')}; got ${positionals.length ? `"${positionals.join(' ')}"` : 'none'}`,
    );
  }
  const options: Options = {
    action: action as Action,
    dataDir: values['data-dir'] ?? '',
    username: values.username ?? '',
    role: values.role ?? '',
    passwordStdin: values['password-stdin'] ?? false,
  };
  if (!options.dataDir) throw new UsageError("--data-dir is required (the daemon's dataDir)");
  const needs = {
    username: options.action !== 'list',
    role: options.action === 'add',
    password: options.action === 'add' || options.action === 'passwd',
  };
  if (needs.username && values.username === undefined)
    throw new UsageError(`--username is required for ${options.action}`);
  if (!needs.username && values.username !== undefined)
    throw new UsageError(`--username is not used by ${options.action}`);
  if (needs.role && values.role === undefined) throw new UsageError(`--role is required for add (${ROLES.join(', ')})`);
  if (!needs.role && values.role !== undefined)
    throw new UsageError(`--role is only for add (a user's role cannot be changed; remove and add again)`);
  if (!needs.password && options.passwordStdin) throw new UsageError(`--password-stdin is only for add and passwd`);
  const problem = needs.username ? usernameProblem(options.username) : undefined;
  if (problem) throw new UsageError(`--username: ${problem}`);
  if (needs.role && !isRole(options.role))
    throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got "${options.role}"`);
  return options;
}

/**
 * `smartgate user`: the accounts of the operators' page, on the gate computer. Opens the
 * daemon's database itself, which the daemon holds locked while it runs: stop it first.
 * Exit 0 done, 2 bad options or input, 1 anything else (database locked, unreadable).
 */
export async function userCommand(args: string[]): Promise<number> {
  if (helpRequested(args)) return printUsage(USAGE);
  let options: Options;
  try {
    options = parseUserArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`smartgate user: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  const inputProblem = checkInputs(options);
  if (inputProblem) {
    process.stderr.write(`smartgate user: ${inputProblem}\n`);
    return 2;
  }

  let store: Store;
  try {
    store = openStore(
      { clock: systemClock, log: silentLogger },
      { dataDir: options.dataDir, siteId: SITE_NOT_YET_KNOWN, config: storeSchema.parse({}), busyTimeoutMs: 1000 },
    );
  } catch (err) {
    const message =
      err instanceof StoreLockedError
        ? `${err.path} is in use, most likely by the running daemon: stop the daemon first, then run this again`
        : (err as Error).message;
    process.stderr.write(`smartgate user: ${message}\n`);
    return 1;
  }
  try {
    return await runAction(new UserStore(store.accounts, systemClock), auditOf(store), options);
  } catch (err) {
    if (!(err instanceof UserError || err instanceof UsageError)) throw err;
    process.stderr.write(`smartgate user: ${err.message}\n`);
    return 2;
  } finally {
    store.close();
  }
}

/** What is wrong with the data directory or the terminal for this action, before touching anything. */
function checkInputs(options: Options): string | undefined {
  // Only add may start a new database: for the others a missing one is a wrong --data-dir.
  if (options.action !== 'add' && !existsSync(join(options.dataDir, DATABASE_FILE))) {
    return `--data-dir: no ${DATABASE_FILE} in ${options.dataDir} (is it the daemon's dataDir?)`;
  }
  if (!options.passwordStdin && (options.action === 'add' || options.action === 'passwd') && !process.stdin.isTTY) {
    return "--password-stdin: needed when stdin is not a terminal (the password is asked on a terminal, twice, or read from stdin's first line)";
  }
  return undefined;
}

/** Sessions live in the daemon's memory; it had to be stopped for this command, which ended them. */
const sessionsEnded = (username: string) =>
  `${username} has no session left: sessions live only in the daemon's memory, and stopping the daemon (needed for this command) ended them`;

/**
 * Account changes are recorded as `auth` events like the page's logins, and reach central with
 * the daemon's next connection. This command has no config, so they are recorded under the site
 * of the newest event in the store (the daemon's site.id); in a store that has none yet, under
 * SITE_NOT_YET_KNOWN, which the daemon replaces by its site.id when it opens the store.
 */
function auditOf(store: Store): AuthAudit {
  const newest = store.db
    .prepare<[], { site_id: string }>('SELECT site_id FROM events ORDER BY rowid DESC LIMIT 1')
    .get();
  const events = newest
    ? new EventStore(
        store.db,
        { clock: systemClock, log: silentLogger },
        { siteId: newest.site_id, bootId: store.bootId },
      )
    : store.events;
  const log = {
    ...silentLogger,
    // The change itself is made: say that only its record is missing.
    error: (obj: object | string) =>
      process.stderr.write(
        `smartgate user: warning: the change was made, but not recorded as an event: ${String(typeof obj === 'string' ? obj : (obj as { err?: unknown }).err)}\n`,
      ),
  };
  return new EventAuthAudit(events, log);
}

async function runAction(users: UserStore, audit: AuthAudit, options: Options): Promise<number> {
  const { username } = options;
  switch (options.action) {
    case 'list': {
      const records = users.list();
      if (records.length === 0) {
        process.stdout.write('no users yet: create one with smartgate user add\n');
        return 0;
      }
      const width = Math.max('USERNAME'.length, ...records.map((r) => r.username.length));
      process.stdout.write(`${'USERNAME'.padEnd(width)}  ROLE      CREATED\n`);
      for (const r of records)
        process.stdout.write(`${r.username.padEnd(width)}  ${r.role.padEnd(8)}  ${utcMinute(r.createdAt)}\n`);
      return 0;
    }
    case 'add': {
      // Refused before asking for a password that would be thrown away.
      users.checkAvailable(username);
      const user = await users.add(username, options.role, await readPassword(options.passwordStdin));
      audit.record({ action: 'user-added', username: user.username, role: user.role, source: 'cli' });
      process.stdout.write(`added ${user.username} (${user.role})\n`);
      return 0;
    }
    case 'passwd': {
      users.existing(username);
      await users.setPassword(username, await readPassword(options.passwordStdin));
      audit.record({ action: 'password-changed', username, source: 'cli' });
      process.stdout.write(
        `password of ${username} changed. ${sessionsEnded(username)}; the new password is needed from the next login.\n`,
      );
      return 0;
    }
    case 'remove': {
      const { role } = users.existing(username);
      users.remove(username);
      audit.record({ action: 'user-removed', username, role, source: 'cli' });
      process.stdout.write(`removed ${username}. ${sessionsEnded(username)}.\n`);
      return 0;
    }
  }
}

/** The new password: from stdin's first line, or asked twice on the terminal without echo. */
async function readPassword(fromStdin: boolean): Promise<string> {
  const password = fromStdin ? await firstLineOfStdin() : await askTwice();
  const problem = passwordProblem(password);
  if (problem) throw new UserError('password', problem);
  return password;
}

async function firstLineOfStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0]!;
}

async function askTwice(): Promise<string> {
  const first = await askHidden('New password: ');
  const again = await askHidden('Repeat the password: ');
  if (first !== again) throw new UsageError('password: the two entries differ; nothing was changed');
  return first;
}

/** Reads one line from the terminal; what is typed is not shown (readline's echo goes nowhere). */
function askHidden(prompt: string): Promise<string> {
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  // terminal: true puts the TTY in raw mode, so the terminal itself does not echo either.
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let answered = false;
    rl.on('line', (line) => {
      answered = true;
      rl.close();
      process.stderr.write('\n');
      resolve(line);
    });
    rl.on('SIGINT', () => rl.close());
    rl.on('close', () => {
      if (answered) return;
      process.stderr.write('\n');
      reject(new UsageError('password: not given; nothing was changed'));
    });
  });
}

function utcMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
