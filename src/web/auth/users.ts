import { randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { AccountRow, AccountTable } from '../../store/accounts.js';
import { ROLES, type Role, type User, type UserDirectory, type VerifiedUser } from '../types.js';
import {
  DEFAULT_SCRYPT_COST,
  hashPassword,
  needsRehash,
  passwordProblem,
  verifyPassword,
  type ScryptCost,
} from './passwords.js';

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

export interface UserStoreOptions {
  /** The scrypt cost of new hashes, and the least a stored hash may have before a login replaces it. Default: OWASP's (passwords.ts). */
  cost?: ScryptCost;
  /**
   * Runs each change of an account, with what the caller records of it, in one transaction of
   * the store (the CLI: the change and its `auth` event, both or neither). Default: no transaction.
   */
  transaction?: <T>(fn: () => T) => T;
}

/** Called inside the change's transaction; throwing undoes the change. */
export type RecordChange<T> = (changed: T) => void;

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

/** The page's local accounts: names, roles and password hashes checked here, kept in the store's account table. */
export class UserStore implements UserDirectory {
  private readonly cost: ScryptCost;
  private readonly transaction: <T>(fn: () => T) => T;
  /**
   * Verified against when the username is unknown, so that an unknown user costs one scrypt at
   * the store's cost like a wrong password does, and the answer time does not tell which
   * usernames exist. A random salt and an all-zero hash: no password matches it, and its result
   * is ignored anyway.
   */
  private readonly dummyHash: string;

  constructor(
    private readonly accounts: AccountTable,
    private readonly clock: Pick<Clock, 'now'>,
    options: UserStoreOptions = {},
  ) {
    this.cost = { ...(options.cost ?? DEFAULT_SCRYPT_COST) };
    this.transaction = options.transaction ?? ((fn) => fn());
    this.dummyHash = [
      'scrypt',
      this.cost.N,
      this.cost.r,
      this.cost.p,
      randomBytes(16).toString('base64'),
      Buffer.alloc(64).toString('base64'),
    ].join('$');
  }

  async add(username: string, role: string, password: string, record?: RecordChange<User>): Promise<User> {
    this.checkAvailable(username);
    if (!isRole(role)) throw new UserError('role', `must be one of ${ROLES.join(', ')}, got "${role}"`);
    checkPassword(password);
    const hash = await hashPassword(password, this.cost);
    const user: User = { username, role };
    this.transaction(() => {
      // Checked again by the primary key: another add may have run while the hash was computed.
      try {
        this.accounts.insert({ username, role, passwordHash: hash, at: this.clock.now() });
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') this.checkAvailable(username);
        throw err;
      }
      record?.(user);
    });
    return user;
  }

  async setPassword(username: string, password: string, record?: RecordChange<UserRecord>): Promise<void> {
    this.existing(username);
    checkPassword(password);
    const hash = await hashPassword(password, this.cost);
    this.transaction(() => {
      // The account as it is now: it may have been removed while the hash was computed.
      const user = this.existing(username);
      if (!this.accounts.setPasswordHash(username, hash, this.clock.now())) throw unknownUser(username);
      record?.(user);
    });
  }

  /** Removes the account; returns it as it was. */
  remove(username: string, record?: RecordChange<UserRecord>): UserRecord {
    return this.transaction(() => {
      const user = this.existing(username);
      if (!this.accounts.remove(username)) throw unknownUser(username);
      record?.(user);
      return user;
    });
  }

  list(): UserRecord[] {
    return this.accounts.list().flatMap(toRecord);
  }

  get(username: string): User | undefined {
    const user = toRecord(this.accounts.get(username))[0];
    return user && { username: user.username, role: user.role };
  }

  count(): number {
    return this.accounts.count();
  }

  async verify(username: string, password: string): Promise<VerifiedUser | null> {
    const row = this.accounts.get(username);
    const matches = await verifyPassword(password, row?.passwordHash ?? this.dummyHash);
    const user = toRecord(row)[0];
    if (!row || !user || !matches) return null;
    if (needsRehash(row.passwordHash, this.cost)) {
      // The only moment the password is known: the hash made at an older cost is replaced, unless
      // the password was changed meanwhile (then the row is not the one verified).
      this.accounts.rehash(row.username, row.passwordHash, await hashPassword(password, this.cost));
    }
    // The version of the row verified: a change made while the hash was checked ends the session.
    return { username: user.username, role: user.role, accountVersion: versionOf(user) };
  }

  accountVersion(username: string): string | undefined {
    const user = toRecord(this.accounts.get(username))[0];
    return user && versionOf(user);
  }

  /** The user, or a UserError naming the username when there is none. */
  existing(username: string): UserRecord {
    const user = toRecord(this.accounts.get(username))[0];
    if (!user) throw unknownUser(username);
    return user;
  }

  /** Throws a UserError unless `username` is valid and not taken. */
  checkAvailable(username: string): void {
    checkUsername(username);
    if (this.accounts.get(username)) throw new UserError('username', `"${username}" already exists`);
  }
}

/**
 * Changes when the account is removed (and added again), its password is changed or its role is
 * not the same; a stronger hash of the same password (rehash) keeps `updatedAt`, so it does not.
 */
function versionOf(user: UserRecord): string {
  return `${user.createdAt}:${user.updatedAt}:${user.role}`;
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

/** The account as a user of the page: none when absent, or when its role is not one the page knows (a row written by hand). */
function toRecord(row: AccountRow | undefined): UserRecord[] {
  if (!row || !isRole(row.role)) return [];
  return [{ username: row.username, role: row.role, createdAt: row.createdAt, updatedAt: row.updatedAt }];
}
