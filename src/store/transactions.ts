import type { Logger } from '../core/log.js';
import type { Database } from './database.js';
import type { Transactions } from './types.js';

/**
 * Transactions over the store's one connection, with an after-commit queue. A transaction
 * inside another is a savepoint of it (better-sqlite3 nests them so): it commits only with the
 * outermost one, and what it queued runs only then. A rollback, at any level, drops what was
 * queued inside it, so nothing acts on writes that did not happen.
 *
 * Without a database (`db` null) it runs the functions and keeps only the queue's rules: the
 * lane's unit tests use it over an in-memory sink.
 */
export class StoreTransactions implements Transactions {
  /** One queue per open level, innermost last. */
  private readonly levels: (() => void)[][] = [];
  private readonly wrapped: (<T>(fn: () => T) => T) | null;

  constructor(
    db: Database | null,
    private readonly log: Logger,
  ) {
    const tx = db?.transaction(<T>(fn: () => T): T => fn());
    // IMMEDIATE: the write lock at BEGIN, so a transaction never fails half-way to take it.
    this.wrapped = tx ? (fn) => tx.immediate(fn) as ReturnType<typeof fn> : null;
  }

  get inTransaction(): boolean {
    return this.levels.length > 0;
  }

  transaction<T>(fn: () => T): T {
    const queue: (() => void)[] = [];
    this.levels.push(queue);
    let result: T;
    try {
      result = this.wrapped ? this.wrapped(fn) : fn();
    } finally {
      this.levels.pop();
    }
    const outer = this.levels.at(-1);
    if (outer) outer.push(...queue);
    else this.runAll(queue);
    return result;
  }

  afterCommit(fn: () => void): void {
    const current = this.levels.at(-1);
    if (current) current.push(fn);
    else this.runAll([fn]);
  }

  /** The writes are durable: every callback runs, and one that throws does not undo them. */
  private runAll(queue: readonly (() => void)[]): void {
    for (const fn of queue) {
      try {
        fn();
      } catch (err) {
        this.log.error({ err }, 'after-commit action failed');
      }
    }
  }
}
