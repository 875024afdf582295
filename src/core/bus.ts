import type { Logger } from './log.js';

/**
 * A typed event bus with one event map. Listeners are registered under an owner so a
 * service's stop() removes all of its listeners at once, and a listener that throws is
 * logged rather than breaking the emitter.
 */
export class EventBus<Events extends Record<string, unknown>> {
  // Keyed by any name, so a bus of more events can stand in where a part needs only some of them.
  private listeners = new Map<PropertyKey, { owner: object; fn: (payload: never) => void }[]>();

  constructor(private readonly log: Logger) {}

  on<K extends keyof Events>(owner: object, event: K, fn: (payload: Events[K]) => void): void {
    const list = this.listeners.get(event) ?? [];
    list.push({ owner, fn });
    this.listeners.set(event, list);
  }

  removeAll(owner: object): void {
    for (const [event, list] of this.listeners) {
      this.listeners.set(
        event,
        list.filter((l) => l.owner !== owner),
      );
    }
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const { fn } of this.listeners.get(event) ?? []) {
      try {
        (fn as (p: Events[K]) => void)(payload);
      } catch (err) {
        this.log.error({ err, event: String(event) }, 'event listener failed');
      }
    }
  }

  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.length ?? 0;
  }
}
