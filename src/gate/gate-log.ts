import type { EventBus } from '../core/bus.js';
import type { Logger } from '../core/log.js';
import type { Service } from '../core/service.js';
import type { LaneEvents } from '../lane/events.js';
import { plateReadJson } from '../lane/reading/format-read.js';

/** How often the gate's counters are logged. */
const STATS_EVERY_MS = 30_000;

/**
 * The daemon's structured log of what its lanes do: one `plate read` line per vehicle, one
 * `decision` line per decision (a warning when it raised an alarm), and the gate's counters
 * every 30 s.
 */
export class GateLog implements Service {
  readonly name = 'gate-log';
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ctx: { bus: EventBus<LaneEvents>; log: Logger },
    private readonly stats: () => unknown,
  ) {}

  async start(): Promise<void> {
    const { bus, log } = this.ctx;
    bus.on(this, 'plate.read', ({ laneId, read }) =>
      log.info({ event: 'plate.read', ...plateReadJson(laneId, read) }, 'plate read'),
    );
    bus.on(this, 'lane.decision', ({ laneId, read, decision }) => {
      const { action, reason, alarm, detail } = decision;
      log[alarm ? 'warn' : 'info'](
        { event: 'decision', lane: laneId, text: read.plate.text, action, reason, alarm, detail },
        'decision',
      );
    });
    this.timer = setInterval(() => log.info({ stats: this.stats() }, 'daemon stats'), STATS_EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.ctx.bus.removeAll(this);
  }
}
