import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Service } from '../core/service.js';
import { GATE_LANE_ID } from '../domain/lanes.js';
import type { LaneEvents } from '../lane/events.js';
import type { StoredEvent } from '../store/types.js';
import { formatDecision, formatLaneRecord, formatPlateRead } from '../lane/reading/format-read.js';
import type { YardState } from '../yard/yard-state.js';
import { formatYardRecord, formatYardState } from './format-yard.js';

export interface DemoConsoleOptions {
  /** The page's URL once it listens; null without a page. */
  pageUrl: () => string | null;
  /** For the line that says how to make an account. */
  dataDir: string;
  /** Whether held vehicles wait longer than the clip's pace (the --hold-seconds hint is then not printed). */
  holdsWait: boolean;
  /** The gate's yards as they are now, printed at the start; later changes are printed as they are recorded. */
  yards?: () => readonly YardState[];
  write?: (line: string) => void;
}

const INDENT = '         ';

/**
 * What the demo prints on its terminal: where the page is, then each vehicle's voted read, what
 * the lane decided, and what the barrier and the vehicle did — the lines of the README — and
 * the yard's occupancy as vehicles come and go, its overstays, and the held vehicles it lets
 * in. Lines about a lane other than the one whose read is just above say which lane. It
 * listens from before the cameras start to after the readers stop, so the reads they flush on
 * the way out are printed too; `announce` prints the page's URL once the page listens.
 */
export class DemoConsole implements Service {
  readonly name = 'demo-console';
  private readonly write: (line: string) => void;
  /** The lane of the last read printed: the lines under it are about it unless they say otherwise. */
  private lastLane: string | null = null;

  constructor(
    private readonly ctx: { bus: EventBus<LaneEvents>; clock: Clock },
    private readonly opts: DemoConsoleOptions,
  ) {
    this.write = opts.write ?? ((line) => console.log(line));
  }

  /** Listens from before the cameras start until after the readers have flushed their last votes. */
  async start(): Promise<void> {
    this.ctx.bus.on(this, 'lane.decision', ({ laneId, read, decision }) => {
      this.lastLane = laneId;
      this.write(`${formatPlateRead(laneId, read)}\n${INDENT}${formatDecision(decision)}`);
    });
    this.ctx.bus.on(this, 'lane.recorded', ({ laneId, event }) => {
      const line = this.lineOf(laneId, event);
      if (!line) return;
      // The yard records while the bus is still delivering the lane's record it acts on (a
      // passage): its lines wait for that record's line.
      if (byYard(event)) queueMicrotask(() => this.write(line));
      else this.write(line);
    });
  }

  async stop(): Promise<void> {
    this.ctx.bus.removeAll(this);
  }

  /** Where the page is and how to log in, and the yards as they are: once the page listens. */
  announce(): void {
    const url = this.opts.pageUrl();
    if (url) {
      this.write(`status page: ${url}/`);
      this.write(
        `log in with an account of the demo's data directory; create one (the demo may keep running) with: npx smartgate user add --data-dir ${this.opts.dataDir} --username NAME --role operator`,
      );
      if (!this.opts.holdsWait)
        this.write(
          'held vehicles turn back after a few seconds; to confirm them from the page, give them time: --hold-seconds 60',
        );
    }
    for (const yard of this.opts.yards?.() ?? []) this.write(formatYardState(yard, this.ctx.clock.now()));
  }

  private lineOf(laneId: string, event: StoredEvent): string | null {
    const yardLine = formatYardRecord(event);
    // Yard lines name their yard and lane; the others are about the lane whose read is above.
    if (yardLine && event.type.startsWith('yard.')) return `${INDENT}${yardLine}`;
    const line = yardLine ?? formatLaneRecord(event)?.trimStart();
    if (!line) return null;
    const which = laneId !== this.lastLane && laneId !== GATE_LANE_ID ? `${laneId}: ` : '';
    return `${INDENT}${which}${line}`;
  }
}

/** Recorded by the yard: its own events and alarms, and the opens it asks of a lane. */
function byYard(event: StoredEvent): boolean {
  const p = event.payload;
  return (
    event.type.startsWith('yard.') ||
    (event.type === 'alarm' && String(p.alarm).startsWith('yard.')) ||
    (event.type === 'barrier.actuation' && p.phase === 'requested' && String(p.cause).startsWith('yard-'))
  );
}
