import type { OpenResult } from '../barrier/types.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Config } from '../config/index.js';
import { requestedPayload, resultPayload } from '../lane/flow/actuation-events.js';
import { StoreLockedError } from '../store/database.js';
import { SchemaTooNewError } from '../store/migrations.js';
import { openStore, type Store } from '../store/store.js';
import type { StoredEvent } from '../store/types.js';

/** Who opens the barrier from the command line, and why: recorded as the daemon records an operator. */
export interface CliOperator {
  operator: string;
  reason: string;
}

/** The open cannot be recorded, so it is not sent: the daemon holds the store, or the store is unusable. */
export class OpenNotRecordable extends Error {
  override readonly name = 'OpenNotRecordable';
}

/**
 * Records an open asked for by `smartgate barrier ... open` in the daemon's store, on its lane,
 * as the daemon records an operator's manual open: the `operator.action` (source `cli`) and the
 * `barrier.actuation` request (source `cli`) in one transaction before anything is sent, the
 * result after. The outbox carries them to central when the daemon next runs.
 *
 * The daemon locks its store while it runs (docs/store.md): it then owns the barrier's port
 * too, so finding the store locked refuses the open instead of opening behind its back.
 */
export class CliOpenRecord {
  private request: { event: StoredEvent; startedAt: number } | null = null;

  private constructor(
    private readonly store: Store,
    private readonly laneId: string,
    private readonly driver: string,
    private readonly clock: Clock,
  ) {}

  static open(ctx: { clock: Clock; log: Logger }, config: Config, laneId: string): CliOpenRecord {
    let store: Store;
    try {
      // No wait: a lock held is the daemon running, not a moment's contention.
      store = openStore(ctx, {
        dataDir: config.dataDir,
        siteId: config.site.id,
        config: config.store,
        busyTimeoutMs: 0,
      });
    } catch (err) {
      if (err instanceof StoreLockedError) {
        throw new OpenNotRecordable(
          `refused: ${err.path} is locked, most likely by the running daemon, which owns lane ${laneId}'s barrier while it runs: open it from the operators' page or with central's barrier.open command`,
        );
      }
      if (err instanceof SchemaTooNewError) throw new OpenNotRecordable(`refused: ${err.message}`);
      throw err;
    }
    const lane = config.lanes.find((l) => l.id === laneId)!;
    return new CliOpenRecord(store, laneId, lane.barrier.driver, ctx.clock);
  }

  /** Records the operator's action and the open's request, together; returns their ids. Throws: nothing is to be sent. */
  requested(who: CliOperator, deadlineMs: number): { action: string; request: string } {
    const append = (type: 'operator.action' | 'barrier.actuation', payload: Record<string, unknown>) =>
      this.store.events.append({ type, laneId: this.laneId, payload });
    const request = {
      cause: 'manual-open' as const,
      holdId: null,
      decisionId: null,
      plate: null,
      driver: this.driver,
      deadlineMs,
      source: 'cli' as const,
    };
    try {
      return this.store.events.transaction(() => {
        const action = append('operator.action', {
          action: 'manual-open',
          holdId: null,
          plate: null,
          holdReason: null,
          ...who,
          source: 'cli',
        });
        const event = append('barrier.actuation', requestedPayload(request));
        this.request = { event, startedAt: this.clock.monotonic() };
        return { action: action.eventId, request: event.eventId };
      });
    } catch (err) {
      throw new OpenNotRecordable(
        `refused: the open could not be recorded, so it was not sent: ${(err as Error).message}`,
      );
    }
  }

  /** Records the barrier's answer to the request; returns its id. */
  result(result: OpenResult): string {
    const request = this.request!;
    const durationMs = Math.round(this.clock.monotonic() - request.startedAt);
    const { payload } = resultPayload(result, {
      requestId: request.event.eventId,
      cause: 'manual-open',
      driver: this.driver,
      durationMs,
    });
    return this.store.events.append({ type: 'barrier.actuation', laneId: this.laneId, payload }).eventId;
  }

  close(): void {
    this.store.close();
  }
}
