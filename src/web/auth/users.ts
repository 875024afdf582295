import { randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { Database } from '../../store/database.js';
import { ROLES, type Role, type User, type UserDirectory } from '../types.js';
import { DEFAULT_SCRYPT_COST, hashPassword, needsRehash, passwordProblem, verifyPassword, type ScryptCost } from './passwords.js';

export const MAX_USERNAME_LENGTH = 64;

/** A username, role or password that cannot be used; `field` says which. */
export class UserError extends Error {
  override readonly name = 'UserError';

  constructor(
    readonly field: 'username' | 'role' | 'password',
    detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

export interface UserRecord extends User {
  /** Wall clock, ms since the epoch. */
  createdAt: number;
  updatedAt: number;
}

interface UserRow {
  username: string;
  role: Role;
  password_hash: string;
  created_at: number;
  updated_at: number;
}

export interface UserStoreOptions {
  /** The scrypt cost of new hashes, and the least a stored hash may have before a login replaces it. Default: OWASP's (passwords.ts). */
  cost?: ScryptCost;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Why `username` cannot be used, or undefined when it can. */
export function usernameProblem(username: string): string | undefined {
  if (username.length === 0 || username.length > MAX_USERNAME_LENGTH) {
    return `must be 1 to ${MAX_USERNAME_LENGTH} characters, got ${username.length}`;
  }
  if (!/^[a-z0-9._-]+$/.test(username)) {
    return `"${username}" may contain only lowercase letters a-z, digits, ".", "_" and "-"`;
  }
  return undefined;
}

/** The page's local accounts, in the `users` table of the gate's database. */
export class UserStore implements UserDirectory {
  private readonly sql;
  private readonly cost: ScryptCost;
  /**
   * Verified against when the username is unknown, so that an unknown user costs one scrypt at
   * the store's cost like a wrong password does, and the answer time does not tell which
   * usernames exist. A random salt and an all-zero hash: no password matches it, and its result
   * is ignored anyway.
   */
  private readonly dummyHash: string;

  constructor(
    db: Database,
    private readonly clock: Pick<Clock, 'now'>,
    options: UserStoreOptions = {},
  ) {
    this.cost = { ...(options.cost ?? DEFAULT_SCRYPT_COST) };
    this.dummyHash = ['scrypt', this.cost.N, this.cost.r, this.cost.p, randomBytes(16).toString('base64'), Buffer.alloc(64).toString('base64')].join('$');
    this.sql = {
      get: db.prepare<[string], UserRow>('SELECT * FROM users WHERE username = ?'),
      insert: db.prepare<[{ username: string; role: Role; hash: string; now: number }]>(
        'INSERT INTO users (username, role, password_hash, created_at, updated_at) VALUES (@username, @role, @hash, @now, @now)',
      ),
      setHash: db.prepare<[string, number, string]>('UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ?'),
      // Same password, stronger hash: not a change of the account, so updated_at stays.
      rehash: db.prepare<[string, string, string]>('UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?'),
      remove: db.prepare<[string]>('DELETE FROM users WHERE username = ?'),
      list: db.prepare<[], UserRow>('SELECT * FROM users ORDER BY username'),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM users'),
    };
  }

  async add(username: string, role: string, password: string): Promise<User> {
    this.checkAvailable(username);
    if (!isRole(role)) throw new UserError('role', `must be one of ${ROLES.join(', ')}, got "${role}"`);
    checkPassword(password);
    const hash = await hashPassword(password, this.cost);
    // Checked again by the primary key: another add may have run while the hash was computed.
    try {
      this.sql.insert.run({ username, role, hash, now: this.clock.now() });
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') this.checkAvailable(username);
      throw err;
    }
    return { username, role };
  }

  async setPassword(username: string, password: string): Promise<void> {
    this.existing(username);
    checkPassword(password);
    const hash = await hashPassword(password, this.cost);
    if (this.sql.setHash.run(hash, this.clock.now(), username).changes === 0) throw unknownUser(username);
  }

  remove(username: string): void {
    if (this.sql.remove.run(username).changes === 0) throw unknownUser(username);
  }

  list(): UserRecord[] {
    return this.sql.list.all().map(toRecord);
  }

  get(username: string): User | undefined {
    const row = this.sql.get.get(username);
    return row && { username: row.username, role: row.role };
  }

  count(): number {
    return this.sql.count.get()!.n;
  }

  async verify(username: string, password: string): Promise<User | null> {
    const row = this.sql.get.get(username);
    const matches = await verifyPassword(password, row?.password_hash ?? this.dummyHash);
    if (!row || !matches) return null;
    if (needsRehash(row.password_hash, this.cost)) {
      // The only moment the password is known: the hash made at an older cost is replaced, unless
      // the password was changed meanwhile (then the row is not the one verified).
      this.sql.rehash.run(await hashPassword(password, this.cost), row.username, row.password_hash);
    }
    return { username: row.username, role: row.role };
  }

  /** The user, or a UserError naming the username when there is none. */
  existing(username: string): UserRecord {
    const row = this.sql.get.get(username);
    if (!row) throw unknownUser(username);
    return toRecord(row);
  }

  /** Throws a UserError unless `username` is valid and not taken. */
  checkAvailable(username: string): void {
    checkUsername(username);
    if (this.sql.get.get(username)) throw new UserError('username', `"${username}" already exists`);
  }
}

function checkUsername(username: string): void {
  const problem = usernameProblem(username);
  if (problem) throw new UserError('username', problem);
}

function checkPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw new UserError('password', problem);
}

function unknownUser(username: string): UserError {
  return new UserError('username', `no user "${username}"`);
}

function toRecord(row: UserRow): UserRecord {
  return { username: row.username, role: row.role, createdAt: row.created_at, updatedAt: row.updated_at };
}
