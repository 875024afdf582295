import type { EventBus } from '../core/bus.js';
import type { DeclarationMode } from '../domain/declarations.js';
import type { LaneEvents } from '../lane/events.js';
import type { PostcheckEvents } from '../postcheck/events.js';
import type { EventFilter, EventPage, ListedEvent } from '../store/event-store.js';
import type { FrameRecord } from '../store/frame-files.js';
import type { GateSnapshot } from '../uplink/contract.js';
import type { YardEvents } from '../yard/events.js';
import type { PostcheckResponse, YardView } from './api-contract.js';
import type { ControllerCounters, PostcheckMetrics, YardMetrics } from './metrics.js';

/**
 * The gate as the page sees it: what the page reads and the three things an operator may do,
 * defined by what the page needs. The composition root builds the real one over the lanes, the
 * store and the uplink (src/gate/page-view.ts); tests give a small one.
 */
export interface GateView {
  /** The gate (config `site`), for the page's header. */
  readonly site: { id: string; name: string };
  /** The lanes', yards' and post-check's live events, for the page's event stream. */
  readonly bus: EventBus<LaneEvents & YardEvents & PostcheckEvents>;
  readonly events: PageEventLog;
  /** The events' evidence frames (a decision's frame of the vehicle); absent: no event has one. */
  readonly eventFrames?: PageEventFrames;
  readonly lanes: readonly PageLane[];
  /** Absent or null: the gate has no yards. */
  readonly yards?: PageYards | null;
  /** Absent or null: no lane decides on fee declarations. */
  readonly postcheck?: PagePostcheck | null;
  /** Health and lane states, in the shapes central gets them (src/uplink/contract.ts). */
  snapshot(): GateSnapshot;
  controllers(): ControllerCounters[];
  /** The yards' occupancy and counters for /metrics; absent or null: the gate has no yards. */
  yardMetrics?(): YardMetrics | null;
  /** The post-check's counters for /metrics; absent or null: no lane decides on fee declarations. */
  postcheckMetrics?(): PostcheckMetrics | null;
  link(): LinkStatus;
  lists(): ListStatus[];
}

/** The recorded events, as the page lists and shows them. */
export interface PageEventLog {
  query(filter?: EventFilter): EventPage;
  listed(eventId: string): ListedEvent | undefined;
  /** The events of the same vehicle as `eventId`. */
  related(eventId: string): ListedEvent[];
  getCrop(eventId: string): Buffer | undefined;
}

export interface PageEventFrames {
  get(eventId: string): FrameRecord | undefined;
  absolutePath(record: FrameRecord): string;
}

/** Who acts, and why: recorded in the lane's `operator.action` event with source `page`. */
export interface OperatorAction {
  operator: string;
  reason: string;
}

export type OperatorActionResult =
  /** Recorded, and carried out: the `operator.action` event's id. */
  | { ok: true; eventId: string }
  /** conflict: the lane's state does not allow it now; store-failed: it could not be recorded, so nothing was done. */
  | { ok: false; code: 'conflict' | 'store-failed'; message: string };

/** One lane: its name for the page and the operator's three actions on it. */
export interface PageLane {
  readonly id: string;
  readonly name: string;
  readonly direction: string;
  /** How it treats fee declarations (decisions.declarations); absent: off. */
  readonly declarations?: DeclarationMode;
  confirm(holdId: string, action: OperatorAction): OperatorActionResult;
  refuse(holdId: string, action: OperatorAction): OperatorActionResult;
  open(action: OperatorAction): OperatorActionResult;
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

export type YardActionResult =
  /** Recorded, and done: the event's id (the `yard.call`, or the correction's `operator.action`). */
  | { ok: true; eventId: string }
  /**
   * invalid: a field the yard cannot take (the message names it); not-found: no such yard;
   * conflict: the yard's state does not allow it now; store-failed: not recorded, so not done.
   */
  | { ok: false; code: 'invalid' | 'not-found' | 'conflict' | 'store-failed'; message: string };

/** The gate's yards: their states, and what an operator may do to them (recorded with source `page`). */
export interface PageYards {
  states(): YardView[];
  has(yardId: string): boolean;
  /** Calls `plate` (canonical: letters and digits) forward to the crossing. */
  call(yardId: string, plate: string, action: OperatorAction): YardActionResult;
  /** Withdraws an open call, named by its id. */
  cancelCall(yardId: string, callId: string, action: OperatorAction): YardActionResult;
  /** A vehicle inside, named by its visit, marked as left. */
  markLeft(yardId: string, visitId: string, action: OperatorAction): YardActionResult;
  /** A vehicle that came in unseen (a lane down) added; `enteredAt` epoch ms, default now. */
  addVehicle(
    yardId: string,
    vehicle: {
      plate: string;
      pairedPlate?: string | undefined;
      vehicleClass?: string | undefined;
      enteredAt?: number | undefined;
    },
    action: OperatorAction,
  ): YardActionResult;
}

/** The post-check of fee declarations by the site's local day (src/postcheck). */
export interface PagePostcheck {
  /** The site's local date now, YYYY-MM-DD (site.timeZone). */
  today(): string;
  /** One local day's reconciliation; `day` is a real date YYYY-MM-DD. */
  report(day: string): PostcheckResponse;
  /** Its flagged passages as CSV (RFC 4180), one row per passage. */
  csv(day: string): string;
}
