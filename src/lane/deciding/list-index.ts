import type { Logger } from '../../core/log.js';
import type { ListChange, ListChangeListener, StoredList } from '../../store/lists.js';
import { buildListIndex, indexEntry, type EntryProblem, type ListIndex } from './list-entries.js';
import { LIST_NAMES, type ListName } from '../../domain/lists.js';

/** What the index reads of the store's lists: each list once, then every change as it is applied. */
export interface ListFeed {
  get(name: string): StoredList | undefined;
  onChange(listener: ListChangeListener): () => void;
}

/**
 * The lanes' index of the lists, kept current by the changes the store applies: a delta costs
 * what it adds and removes, a full push what it carries (at most LIST_MAX_BYTES), so a decision
 * never waits for the index to be built again, whatever the size of the lists. Built from the
 * store once, at start-up. The ListIndex it hands out is the live one: decide() reads it
 * synchronously, so a change never lands in the middle of a decision.
 */
export class LiveListIndex {
  private readonly index: ListIndex;
  private readonly unsubscribe: () => void;

  constructor(
    feed: ListFeed,
    private readonly log: Logger,
  ) {
    const stored = Object.fromEntries(LIST_NAMES.map((name) => [name, feed.get(name)])) as Record<
      ListName,
      StoredList | undefined
    >;
    const { index, problems } = buildListIndex(stored);
    this.index = index;
    this.report(problems);
    this.unsubscribe = feed.onChange((change) => this.apply(change));
  }

  current(): ListIndex {
    return this.index;
  }

  close(): void {
    this.unsubscribe();
  }

  private apply(change: ListChange): void {
    if (!(LIST_NAMES as readonly string[]).includes(change.name)) return; // stored, but not decided on
    const name = change.name as ListName;
    const problems: EntryProblem[] = [];
    try {
      if (change.kind === 'full') this.index[name].clear();
      else for (const key of change.remove) this.index[name].delete(key);
      for (const raw of change.kind === 'full' ? change.entries : change.add) {
        const problem = indexEntry(this.index, name, raw);
        if (problem) problems.push(problem);
      }
      this.index.meta[name] = { version: change.version, receivedAt: change.receivedAt };
    } catch (err) {
      // Pure work on entries the store accepted: should not happen, but must not undo the store's commit.
      this.log.error({ err, list: name }, 'list change not indexed');
    }
    this.report(problems);
  }

  private report(problems: readonly EntryProblem[]): void {
    for (const problem of problems) this.log.warn({ ...problem }, 'list entry not usable');
  }
}
