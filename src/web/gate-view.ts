import type { Config } from '../config/index.js';
import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { LaneEvents } from '../lane/events.js';
import type { LaneController } from '../lane/flow/lane-controller.js';
import type { EventStore } from '../store/event-store.js';
import type { FrameFiles } from '../store/frame-files.js';
import type { Store } from '../store/store.js';
import type { GateSnapshot } from '../uplink/state-publisher.js';
import type { Uplink } from '../uplink/uplink.js';
import type { ControllerCounters } from './metrics.js';
import { LIST_NAMES } from '../domain/lists.js';

/** What the page may do to a lane: the operator's three actions. */
export type LaneOperator = Pick<LaneController, 'confirm' | 'refuse' | 'manualOpen'>;

export interface WebLane {
  id: string;
  name: string;
  direction: string;
  controller: LaneOperator;
}

export interface LinkStatus {
  configured: boolean;
  connected: boolean;
  outboxPending: number;
  /** Age of the oldest event central has not acknowledged; null when none waits. */
  oldestPendingAgeMs: number | null;
}

export interface ListStatus {
  name: string;
  /** Null: never received. */
  version: number | null;
  entries: number;
  ageMs: number | null;
  stale: boolean;
}

/**
 * The gate as the web server sees it: read-only views plus the lanes' operator actions. The
 * daemon gives the real one (daemonGateView); tests give a small one.
 */
export interface GateView {
  /** The gate (config `site`), for the page's header. */
  readonly site: { id: string; name: string };
  readonly bus: EventBus<LaneEvents>;
  readonly events: Pick<EventStore, 'query' | 'listed' | 'related' | 'getCrop'>;
  /** The events' evidence frames (a decision's frame of the vehicle); absent: no event has one. */
  readonly eventFrames?: Pick<FrameFiles, 'get' | 'absolutePath'>;
  readonly lanes: readonly WebLane[];
  snapshot(): GateSnapshot;
  controllers(): ControllerCounters[];
  link(): LinkStatus;
  lists(): ListStatus[];
}

/** The parts of the Daemon the view reads (a structural type, so this module needs no import of daemon.ts). */
export interface DaemonLike {
  readonly bus: EventBus<LaneEvents>;
  readonly lanes: readonly { id: string; controller: LaneController }[];
  readonly uplink: Pick<Uplink, 'stats'> | null;
  snapshot(): GateSnapshot;
}

export function daemonGateView(daemon: DaemonLike, config: Pick<Config, 'lanes' | 'site'>, store: Pick<Store, 'events' | 'lists' | 'frames'>, clock: Clock): GateView {
  const laneConfig = new Map(config.lanes.map((l) => [l.id, l]));
  // A list is stale for the page when it is stale for any lane.
  const maxAgeMs = Math.min(...config.lanes.map((l) => l.decisions.listsMaxAgeMs));
  return {
    site: { id: config.site.id, name: config.site.name },
    bus: daemon.bus,
    events: store.events,
    eventFrames: store.frames,
    lanes: daemon.lanes.map((l) => ({
      id: l.id,
      name: laneConfig.get(l.id)?.name ?? l.id,
      direction: laneConfig.get(l.id)?.direction ?? 'entry',
      controller: l.controller,
    })),
    snapshot: () => daemon.snapshot(),
    controllers: () => daemon.lanes.map((l) => ({ lane: l.id, ...l.controller.stats() })),
    link: () => {
      const oldest = store.events.oldestPendingTs();
      return {
        configured: daemon.uplink !== null,
        connected: daemon.uplink?.stats().connected ?? false,
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
        return { name, version: s.version, entries: s.entries, ageMs, stale: ageMs > maxAgeMs };
      });
    },
  };
}
