import type { EventBus } from '../../core/bus.js';
import type { Logger } from '../../core/log.js';
import type { Service } from '../../core/service.js';
import type { EventSink } from '../../store/types.js';
import type { LaneEvents } from '../events.js';
import { plateReadJson } from './format-read.js';

/**
 * Records every voted plate read as a `plate.read` event (with its crop) the moment the lane
 * emits it: the store's outbox then carries it to central, through any outage.
 */
export class PlateReadRecorder implements Service {
  readonly name = 'plate-read-recorder';
  private recorded = 0;

  constructor(
    private readonly ctx: { bus: EventBus<LaneEvents>; log: Logger },
    private readonly sink: EventSink,
  ) {}

  async start(): Promise<void> {
    this.ctx.bus.on(this, 'plate.read', ({ laneId, read }) => {
      const { lane: _lane, cropBytes: _cropBytes, ...payload } = plateReadJson(laneId, read);
      // A failed write throws into the bus, which logs it: the read is lost, loudly.
      this.sink.append({ type: 'plate.read', laneId, payload, ...(read.crop ? { crop: read.crop } : {}) });
      this.recorded++;
    });
  }

  async stop(): Promise<void> {
    this.ctx.bus.removeAll(this);
  }

  stats() {
    return { recorded: this.recorded };
  }
}
