import type { FrameSource } from '../camera/types.js';
import type { Clock } from '../core/clock.js';
import { smartgateVersion } from '../core/version.js';
import type { LaneController } from '../lane/flow/lane-controller.js';
import type { LaneReader } from '../lane/reading/lane-reader.js';
import type { RetentionService } from '../store/retention-service.js';
import type { Store } from '../store/store.js';
import type { GateSnapshot } from '../uplink/contract.js';

export interface SnapshotParts {
  clock: Clock;
  store: Pick<Store, 'bootId' | 'events'>;
  /** Its last run says how much of the disk the store uses. */
  retention: Pick<RetentionService, 'stats'>;
  lanes: readonly {
    id: string;
    camera: Pick<FrameSource, 'stats'>;
    reader: Pick<LaneReader, 'stats'>;
    controller: Pick<LaneController, 'snapshot'>;
  }[];
  /** store.quotaMb, in bytes. */
  quotaBytes: number;
  /** Monotonic ms the gate was built at. */
  startedAt: number;
}

/** The gate's health and each lane's state, in the wire shapes of the retained snapshot topics (docs/mqtt.md). */
export function gateSnapshot(parts: SnapshotParts): GateSnapshot {
  const { clock, store, lanes } = parts;
  const ts = clock.now();
  const last = parts.retention.stats().lastResult;
  return {
    health: {
      bootId: store.bootId,
      version: smartgateVersion(),
      ts,
      uptimeMs: Math.round(clock.monotonic() - parts.startedAt),
      outboxPending: store.events.pendingCount(),
      store: {
        usedBytes: last ? last.usage.totalBytes : null,
        quotaBytes: parts.quotaBytes,
        quotaExceeded: last?.quotaExceeded ?? false,
      },
      lanes: lanes.map((l) => l.id),
    },
    lanes: lanes.map((l) => {
      const { state, fpsIn, fpsProcessed, framesDropped, lastFrameAgeMs, restarts, lastError } = l.camera.stats();
      const { barrier, ...flow } = l.controller.snapshot();
      return {
        laneId: l.id,
        ts,
        camera: { state, fpsIn, fpsProcessed, framesDropped, lastFrameAgeMs, restarts, lastError },
        reader: { ...l.reader.stats() },
        flow,
        barrier,
      };
    }),
  };
}
