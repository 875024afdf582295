import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/bus.js';
import type { Logger } from '../core/log.js';
import type { Service } from '../core/service.js';
import type { LaneDecisions } from '../config/decisions.js';
import type { LANE_DIRECTIONS } from '../config/lane.js';
import type { StoredList } from '../store/lists.js';
import type { EventSink } from '../store/types.js';
import { LIST_NAMES, type ListName } from '../uplink/commands-contract.js';
import { decide } from './decide.js';
import { decisionEvent } from './decision-event.js';
import type { LaneEvents } from './events.js';
import { buildListIndex, type ListIndex } from './list-entries.js';

/** What the decider reads of the store's lists. */
export interface ListSource {
  get(name: string): StoredList | undefined;
  summaries(): { name: string; version: number; receivedAt: number }[];
}

export interface LaneDecisionSettings {
  id: string;
  direction: (typeof LANE_DIRECTIONS)[number];
  rules: LaneDecisions;
}

/**
 * Decides open, hold or deny for every voted plate read, from the lists central pushed, and
 * records each decision as an event before anything acts on it. The list index is rebuilt only
 * when a list changed. (Acting on the decision — the barrier — is the lane state machine's.)
 */
export class LaneDecider implements Service {
  readonly name = 'lane-decider';
  private cached: { key: string; index: ListIndex } | null = null;
  private decided = 0;

  constructor(
    private readonly ctx: { bus: EventBus<LaneEvents>; log: Logger; clock: Clock },
    private readonly deps: { sink: EventSink; lists: ListSource },
    private readonly lanes: readonly LaneDecisionSettings[],
  ) {}

  async start(): Promise<void> {
    this.ctx.bus.on(this, 'plate.read', ({ laneId, read }) => {
      const lane = this.lanes.find((l) => l.id === laneId);
      if (!lane) return;
      const input = { plate: read.plate, confidence: read.confidence, votes: read.votes };
      const decision = decide({ read: input, lane, rules: lane.rules, lists: this.listIndex(), now: this.ctx.clock.now() });
      this.deps.sink.append({ type: 'decision', laneId, payload: decisionEvent(decision, input, lane) });
      this.decided++;
      this.ctx.bus.emit('lane.decision', { laneId, read, decision });
    });
  }

  async stop(): Promise<void> {
    this.ctx.bus.removeAll(this);
  }

  stats() {
    return { decided: this.decided };
  }

  private listIndex(): ListIndex {
    const key = JSON.stringify(this.deps.lists.summaries().map((s) => [s.name, s.version, s.receivedAt]));
    if (this.cached?.key === key) return this.cached.index;
    const stored = Object.fromEntries(LIST_NAMES.map((name) => [name, this.deps.lists.get(name)])) as Record<ListName, StoredList | undefined>;
    const { index, problems } = buildListIndex(stored);
    for (const problem of problems) this.ctx.log.warn({ ...problem }, 'list entry not usable');
    this.cached = { key, index };
    return index;
  }
}
