import type { Clock } from '../../core/clock.js';
import type { EventBus } from '../../core/bus.js';
import type { Logger } from '../../core/log.js';
import type { LaneDecisions } from '../../config/decisions.js';
import type { LANE_DIRECTIONS } from '../../config/lane.js';
import type { VotedPlateRead } from '../../plates/voter.js';
import type { EventSink, StoredEvent } from '../../store/types.js';
import { decide, type Decision } from './decide.js';
import { LANE_BUSY, type GateHoldReason } from './decision-reasons.js';
import { decisionEvent } from './decision-event.js';
import type { LaneEvents } from '../events.js';
import { otherPlateOf } from './list-entries.js';
import { LiveListIndex, type ListFeed } from './list-index.js';

/** What the decider reads of the store's lists (the ListStore): each list once, then its changes. */
export type ListSource = ListFeed;

export interface LaneDecisionSettings {
  id: string;
  direction: (typeof LANE_DIRECTIONS)[number];
  rules: LaneDecisions;
}

/** The vehicle an `allowed` open would let through, as the gate's passage guard sees it. */
export interface GuardedVehicle {
  plate: string;
  kind: string | null;
  /** The allow entry's paired plate and yard class, when it names them. */
  pairedPlate: string | null;
  vehicleClass: string | null;
}

/**
 * What the gate beyond the lane says about an `allowed` open (src/yard): null to let it go on,
 * or the hold it becomes. Asked only for opens, synchronously, so no other lane's decision can
 * come between the answer and the decision it shapes.
 */
export interface PassageGuard {
  check(laneId: string, vehicle: GuardedVehicle): { reason: GateHoldReason; detail: string } | null;
}

export interface RecordedDecision {
  decision: Decision;
  event: StoredEvent;
}

/**
 * Decides open, hold or deny for a voted plate read from the lists central pushed, records the
 * decision as an event, and only then announces it (`lane.decision`). The lane controller
 * calls it for each new vehicle and acts on the result. The lists are indexed once, at
 * construction, and the index follows each change the store applies (LiveListIndex): a
 * decision never reads or indexes the stored lists.
 */
export class LaneDecider {
  private readonly lists: LiveListIndex;
  private decided = 0;

  constructor(
    private readonly ctx: { bus: EventBus<LaneEvents>; log: Logger; clock: Clock },
    private readonly deps: {
      sink: EventSink;
      lists: ListSource;
      guard?: PassageGuard;
      /** How many passages have used each fee declaration (the post-check's ledger). */
      declarationUses?: (id: string) => number;
    },
  ) {
    this.lists = new LiveListIndex(deps.lists, ctx.log);
  }

  /**
   * `laneBusy`: another vehicle is at the barrier, so an `allowed` open becomes a `lane-busy`
   * hold (refusals stay as they are).
   */
  decide(lane: LaneDecisionSettings, read: VotedPlateRead, laneBusy = false): RecordedDecision {
    const input = { plate: read.plate, confidence: read.confidence, votes: read.votes };
    const otherReads = read.otherPlates ?? [];
    let decision = decide({
      read: input,
      otherReads,
      lane,
      rules: lane.rules,
      lists: this.lists.current(),
      now: this.ctx.clock.now(),
      ...(this.deps.declarationUses && { declarationUses: this.deps.declarationUses }),
    });
    if (laneBusy && decision.action === 'open') {
      decision = {
        ...decision,
        action: 'hold',
        reason: LANE_BUSY,
        detail: `another vehicle is at the barrier; the lists allow ${read.plate.display} (${decision.detail})`,
      };
    }
    const guarded = decision.action === 'open' ? this.guarded(lane.id, read, decision) : null;
    if (guarded) {
      decision = {
        ...decision,
        action: 'hold',
        reason: guarded.reason,
        detail: `${guarded.detail}; the lists allow ${read.plate.display} (${decision.detail})`,
      };
    }
    const event = this.deps.sink.append({
      type: 'decision',
      laneId: lane.id,
      payload: decisionEvent(decision, input, lane, otherReads),
    });
    this.decided++;
    this.ctx.bus.emit('lane.decision', { laneId: lane.id, eventId: event.eventId, read, decision });
    return { decision, event };
  }

  private guarded(laneId: string, read: VotedPlateRead, decision: Decision) {
    if (!this.deps.guard) return null;
    const entry = decision.matched?.list === 'allow' ? decision.matched.entry : undefined;
    return this.deps.guard.check(laneId, {
      plate: read.plate.text,
      kind: read.plate.kind,
      pairedPlate: entry ? otherPlateOf(entry, read.plate.text) : null,
      vehicleClass: entry?.vehicleClass ?? null,
    });
  }

  stats() {
    return { decided: this.decided };
  }
}
