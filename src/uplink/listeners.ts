/** A set of listeners with an unsubscribe per registration; a throwing listener does not stop the others. */
export class Listeners<Args extends unknown[]> {
  private readonly fns = new Set<(...args: Args) => void>();

  add(fn: (...args: Args) => void): () => void {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }

  emit(onError: (err: unknown) => void, ...args: Args): void {
    for (const fn of [...this.fns]) {
      try {
        fn(...args);
      } catch (err) {
        onError(err);
      }
    }
  }

  get size(): number {
    return this.fns.size;
  }

  clear(): void {
    this.fns.clear();
  }
}
