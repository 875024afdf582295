import type { Logger } from '../core/log.js';
import type { RetentionAlarm, RetentionResult } from './retention.js';
import { type EventSink, type StoredEvent } from './types.js';
import { GATE_LANE_ID } from '../domain/lanes.js';

/**
 * Says that the disk quota bit: a warning in the log, and an `alarm` event about the whole gate,
 * recorded like any other so central learns that the gate is deleting delivered data
 * (`store.quota-enforced`) or cannot get under its quota without losing undelivered events
 * (`store.quota-exceeded`). Retention calls it once per episode, not on every run.
 */
export function recordStoreAlarm(
  events: EventSink,
  log: Logger,
  alarm: RetentionAlarm,
  result: RetentionResult,
): StoredEvent {
  const payload = {
    alarm: `store.${alarm}`,
    usedBytes: result.usage.totalBytes,
    quotaBytes: result.quotaBytes,
    quotaExceeded: result.quotaExceeded,
    deletedByQuota: result.byQuota,
  };
  log.warn(payload, 'store quota alarm');
  return events.append({ type: 'alarm', laneId: GATE_LANE_ID, payload });
}
