import type { EventBus } from '../core/bus.js';
import type { Service } from '../core/service.js';
import type { LaneEvents } from '../lane/events.js';
import { formatDecision, formatLaneRecord, formatPlateRead } from '../lane/reading/format-read.js';

export interface DemoConsoleOptions {
  /** The page's URL once it listens; null without a page. */
  pageUrl: () => string | null;
  /** For the line that says how to make an account. */
  dataDir: string;
  /** Whether held vehicles wait longer than the clip's pace (the --hold-seconds hint is then not printed). */
  holdsWait: boolean;
  write?: (line: string) => void;
}

/**
 * What the demo prints on its terminal: where the page is, then each vehicle's voted read, what
 * the lane decided, and what the barrier and the vehicle did — the lines of the README. Started
 * after the page, so its URL is known.
 */
export class DemoConsole implements Service {
  readonly name = 'demo-console';
  private readonly write: (line: string) => void;

  constructor(
    private readonly ctx: { bus: EventBus<LaneEvents> },
    private readonly opts: DemoConsoleOptions,
  ) {
    this.write = opts.write ?? ((line) => console.log(line));
  }

  async start(): Promise<void> {
    const url = this.opts.pageUrl();
    if (url) {
      this.write(`status page: ${url}/`);
      this.write(
        `log in with an account of the demo's data directory; create one (with the demo stopped) with: npx smartgate user add --data-dir ${this.opts.dataDir} --username NAME --role operator`,
      );
      if (!this.opts.holdsWait)
        this.write(
          'held vehicles turn back after a few seconds; to confirm them from the page, give them time: --hold-seconds 60',
        );
    }
    this.ctx.bus.on(this, 'lane.decision', ({ laneId, read, decision }) =>
      this.write(`${formatPlateRead(laneId, read)}\n         ${formatDecision(decision)}`),
    );
    this.ctx.bus.on(this, 'lane.recorded', ({ event }) => {
      const line = formatLaneRecord(event);
      if (line) this.write(`         ${line.trimStart()}`);
    });
  }

  async stop(): Promise<void> {
    this.ctx.bus.removeAll(this);
  }
}
