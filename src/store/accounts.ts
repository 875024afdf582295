import type { Database } from './database.js';

/** One local account of the operators' page, as stored (the page checks names, roles and passwords). */
export interface AccountRow {
  username: string;
  role: string;
  /** `scrypt$N$r$p$salt$hash` (src/web/auth/passwords.ts); never the password. */
  passwordHash: string;
  /** Wall clock, ms since the epoch. */
  createdAt: number;
  updatedAt: number;
}

/** What the page's account directory needs of the store: rows in, rows out, nothing more. */
export interface AccountTable {
  get(username: string): AccountRow | undefined;
  /** Throws SQLITE_CONSTRAINT_PRIMARYKEY when the username is taken. */
  insert(account: { username: string; role: string; passwordHash: string; at: number }): void;
  /** A new password: false when there is no such account. */
  setPasswordHash(username: string, passwordHash: string, at: number): boolean;
  /**
   * The same password under a stronger hash: replaces `oldHash` only if it is still the stored
   * one (the password was not changed meanwhile); not a change of the account, so `updatedAt` stays.
   */
  rehash(username: string, oldHash: string, newHash: string): boolean;
  remove(username: string): boolean;
  list(): AccountRow[];
  count(): number;
}

interface Row {
  username: string;
  role: string;
  password_hash: string;
  created_at: number;
  updated_at: number;
}

/** The `users` table of the gate's database (migration 3, docs/store.md). */
export class Accounts implements AccountTable {
  private readonly sql;

  constructor(db: Database) {
    this.sql = {
      get: db.prepare<[string], Row>('SELECT * FROM users WHERE username = ?'),
      insert: db.prepare<[{ username: string; role: string; hash: string; at: number }]>(
        'INSERT INTO users (username, role, password_hash, created_at, updated_at) VALUES (@username, @role, @hash, @at, @at)',
      ),
      setHash: db.prepare<[string, number, string]>(
        'UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ?',
      ),
      rehash: db.prepare<[string, string, string]>(
        'UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?',
      ),
      remove: db.prepare<[string]>('DELETE FROM users WHERE username = ?'),
      list: db.prepare<[], Row>('SELECT * FROM users ORDER BY username'),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM users'),
    };
  }

  get(username: string): AccountRow | undefined {
    const row = this.sql.get.get(username);
    return row && toAccount(row);
  }

  insert(account: { username: string; role: string; passwordHash: string; at: number }): void {
    this.sql.insert.run({ username: account.username, role: account.role, hash: account.passwordHash, at: account.at });
  }

  setPasswordHash(username: string, passwordHash: string, at: number): boolean {
    return this.sql.setHash.run(passwordHash, at, username).changes > 0;
  }

  rehash(username: string, oldHash: string, newHash: string): boolean {
    return this.sql.rehash.run(newHash, username, oldHash).changes > 0;
  }

  remove(username: string): boolean {
    return this.sql.remove.run(username).changes > 0;
  }

  list(): AccountRow[] {
    return this.sql.list.all().map(toAccount);
  }

  count(): number {
    return this.sql.count.get()!.n;
  }
}

function toAccount(row: Row): AccountRow {
  return {
    username: row.username,
    role: row.role,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
