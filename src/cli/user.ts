import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { storeSchema } from '../config/store.js';
import {
  openCommandStore,
  SchemaMismatchError,
  StoreReplacedError,
  type CommandStore,
} from '../store/command-store.js';
import type { EventStore } from '../store/event-store.js';
import { DATABASE_FILE, SITE_NOT_YET_KNOWN } from '../store/store.js';
import { authEvent, type AuthRecord } from '../web/auth/audit.js';
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
  --data-dir DIR      the daemon's dataDir (the accounts are in DIR/${DATABASE_FILE}); the daemon may be running
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
 * `smartgate user`: the accounts of the operators' page, on the gate computer. Works whether the
 * daemon runs or not (src/store/command-store.ts): each change and its `auth` event are one
 * transaction, which a running daemon's page sees at once.
 * Exit 0 done, 2 bad options or input, 1 anything else (a store of another version, unreadable).
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

  let store: CommandStore;
  try {
    store = openCommandStore(
      { clock: systemClock, log: silentLogger },
      { dataDir: options.dataDir, config: storeSchema.parse({}) },
    );
  } catch (err) {
    process.stderr.write(`smartgate user: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    const users = new UserStore(store.accounts, systemClock, { transaction: (fn) => store.transaction(fn) });
    return await runAction(users, recorder(store), options, store.besideWriter);
  } catch (err) {
    if (err instanceof UserError || err instanceof UsageError) {
      process.stderr.write(`smartgate user: ${err.message}\n`);
      return 2;
    }
    if (err instanceof SchemaMismatchError || err instanceof StoreReplacedError || err instanceof NoSiteError) {
      process.stderr.write(`smartgate user: ${err.message}\n`);
      return 1;
    }
    throw err;
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

/** What happens to the user's sessions of the page, which live only in the daemon's memory. */
function sessionsEnded(username: string, besideDaemon: boolean): string {
  return besideDaemon
    ? `The running daemon ends the page sessions of ${username} at their next request (open views within 10 s)`
    : `${username} has no page session: sessions live only in the daemon's memory, and the daemon is not running`;
}

/** Beside a running daemon, a store with no event yet: the site to record under is not known. */
class NoSiteError extends Error {}

/**
 * Records an account change as an `auth` event, like the page's logins, inside the change's
 * transaction: if it cannot be recorded, the change is undone. The events reach central with the
 * daemon's uplink. This command has no config, so they are recorded under the site of the newest
 * event in the store (the daemon's site.id); in a store that has none yet, under
 * SITE_NOT_YET_KNOWN, which the daemon replaces by its site.id when it next opens the store.
 */
function recorder(store: CommandStore): (entry: AuthRecord) => void {
  let events: EventStore | undefined;
  return (entry) => {
    if (!events) {
      const newest = store.db
        .prepare<[], { site_id: string }>('SELECT site_id FROM events ORDER BY rowid DESC LIMIT 1')
        .get();
      // A running daemon does not claim events of an unknown site: they would never reach central.
      if (!newest && store.besideWriter)
        throw new NoSiteError(
          'the running daemon has recorded no event yet, so the site of this change is not known: try again in a minute; nothing was changed',
        );
      events = store.events(newest?.site_id ?? SITE_NOT_YET_KNOWN);
    }
    events.append(authEvent(entry));
  };
}

async function runAction(
  users: UserStore,
  record: (entry: AuthRecord) => void,
  options: Options,
  besideDaemon: boolean,
): Promise<number> {
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
      const user = await users.add(username, options.role, await readPassword(options.passwordStdin), (added) =>
        record({ action: 'user-added', username: added.username, role: added.role, source: 'cli' }),
      );
      process.stdout.write(
        `added ${user.username} (${user.role})${besideDaemon ? ': the page takes it at once' : ''}\n`,
      );
      return 0;
    }
    case 'passwd': {
      users.existing(username);
      await users.setPassword(username, await readPassword(options.passwordStdin), () =>
        record({ action: 'password-changed', username, source: 'cli' }),
      );
      process.stdout.write(
        `password of ${username} changed. ${sessionsEnded(username, besideDaemon)}; the new password is needed from the next login.\n`,
      );
      return 0;
    }
    case 'remove': {
      users.remove(username, (removed) =>
        record({ action: 'user-removed', username, role: removed.role, source: 'cli' }),
      );
      process.stdout.write(`removed ${username}. ${sessionsEnded(username, besideDaemon)}.\n`);
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
