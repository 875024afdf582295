import type { Clock } from '../core/clock.js';
import type { DeclarationMode } from '../domain/declarations.js';
import type { EventBus } from '../core/bus.js';
import { LIST_NAMES } from '../domain/lists.js';
import type { LaneEvents } from '../lane/events.js';
import type { PostcheckEvents } from '../postcheck/events.js';
import { LaneStoreError, type LaneController, type OperatorResult } from '../lane/flow/lane-controller.js';
import type { Store } from '../store/store.js';
import type { GateSnapshot } from '../uplink/contract.js';
import type { GateView, OperatorActionResult, PageLane, PagePostcheck } from '../web/gate-view.js';
import type { PostcheckMetrics } from '../web/metrics.js';
import type { YardEvents } from '../yard/events.js';
import type { YardService } from '../yard/yard-service.js';
import { pageYards } from './page-yards.js';
import type { PostcheckDays } from './postcheck-days.js';

export interface PageViewParts {
  site: { id: string; name: string };
  bus: EventBus<LaneEvents & YardEvents & PostcheckEvents>;
  lanes: readonly {
    id: string;
    name: string;
    direction: string;
    /** decisions.declarations; absent: off. */
    declarations?: DeclarationMode;
    controller: LaneController;
  }[];
  store: Pick<Store, 'events' | 'lists' | 'frames'>;
  /** Whether an uplink is configured, and whether it is connected now. */
  link(): { configured: boolean; connected: boolean };
  snapshot(): GateSnapshot;
  /** A list older than this (ms) is stale for the page: the least of the lanes' listsMaxAgeMs. */
  listsMaxAgeMs: number;
  clock: Clock;
  /** Null or absent: the gate has no yards. */
  yards?: YardService | null;
  /** Null or absent: no lane decides on fee declarations. */
  postcheck?: { days: PostcheckDays; stats(): PostcheckMetrics } | null;
}

/** The page's view of the gate (src/web/gate-view.ts) over the gate's parts. */
export function pageView(parts: PageViewParts): GateView {
  const { store, clock } = parts;
  return {
    site: parts.site,
    bus: parts.bus,
    events: store.events,
    eventFrames: store.frames,
    lanes: parts.lanes.map((l) => pageLane(l)),
    yards: parts.yards ? pageYards(parts.yards) : null,
    snapshot: () => parts.snapshot(),
    controllers: () => parts.lanes.map((l) => ({ lane: l.id, ...l.controller.stats() })),
    yardMetrics: () => parts.yards?.stats() ?? null,
    postcheck: parts.postcheck ? pagePostcheck(parts.postcheck.days) : null,
    postcheckMetrics: () => parts.postcheck?.stats() ?? null,
    link: () => {
      const oldest = store.events.oldestPendingTs();
      return {
        ...parts.link(),
        outboxPending: store.events.pendingCount(),
        oldestPendingAgeMs: oldest === null ? null : Math.max(0, clock.now() - oldest),
      };
    },
    lists: () => {
      const received = new Map(store.lists.summaries().map((s) => [s.name, s]));
      const now = clock.now();
      return LIST_NAMES.map((name) => {
        const s = received.get(name);
        if (!s) return { name, version: null, entries: 0, ageMs: null, stale: true };
        const ageMs = Math.max(0, now - s.receivedAt);
        return { name, version: s.version, entries: s.entries, ageMs, stale: ageMs > parts.listsMaxAgeMs };
      });
    },
  };
}

/** The post-check's days as the page reads them; the reconciliation is type-checked against the page's contract. */
function pagePostcheck(days: PostcheckDays): PagePostcheck {
  return { today: () => days.today(), report: (day) => days.report(day), csv: (day) => days.csv(day) };
}

/** A lane's operator actions, as the page's results: refusals and store failures are answers, not exceptions. */
function pageLane(lane: PageViewParts['lanes'][number]): PageLane {
  const { controller } = lane;
  const act = (run: () => OperatorResult): OperatorActionResult => {
    try {
      const result = run();
      return result.ok
        ? { ok: true, eventId: result.event.eventId }
        : { ok: false, code: 'conflict', message: result.refusal.message };
    } catch (err) {
      if (err instanceof LaneStoreError) return { ok: false, code: 'store-failed', message: err.message };
      throw err;
    }
  };
  return {
    id: lane.id,
    name: lane.name,
    direction: lane.direction,
    declarations: lane.declarations ?? 'off',
    confirm: (holdId, action) => act(() => controller.confirm(holdId, { ...action, source: 'page' })),
    refuse: (holdId, action) => act(() => controller.refuse(holdId, { ...action, source: 'page' })),
    open: (action) => act(() => controller.manualOpen({ ...action, source: 'page' })),
  };
}
