import type { Clock } from '../core/clock.js';
import { GATE_LANE_ID } from '../domain/lanes.js';
import { signCheckpoint, type ChainHead, type CheckpointReason, type PrunedRange } from '../evidence/checkpoint.js';
import type { GateKey } from '../evidence/gate-key.js';
import type { Database } from './database.js';
import type { StoredEvent, TransactionalSink } from './types.js';

/**
 * Records `chain.checkpoint` events: the heads of every lane's chain, signed by the gate key,
 * read and recorded in one transaction so that no event slips in between. The checkpoint is an
 * event of the gate lane, so it is chained and forwarded like any other.
 */
export class ChainCheckpoints {
  private readonly heads;

  constructor(
    db: Database,
    private readonly sink: TransactionalSink,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly identity: { siteId: string; key: GateKey },
  ) {
    this.heads = db.prepare<[], { lane_id: string; last_seq: number; head_hash: string }>(
      'SELECT lane_id, last_seq, head_hash FROM lane_seq WHERE head_hash IS NOT NULL ORDER BY lane_id',
    );
  }

  /** Every chained lane's head now. */
  currentHeads(): Record<string, ChainHead> {
    return Object.fromEntries(this.heads.all().map((r) => [r.lane_id, { seq: r.last_seq, chainHash: r.head_hash }]));
  }

  /** `pruned`: with reason `retention`, the ranges the run deleted (RetentionResult.pruned). */
  record(reason: CheckpointReason, pruned?: PrunedRange[]): StoredEvent {
    return this.recordWithHeads(reason, pruned).event;
  }

  /**
   * Records a checkpoint and returns, with it, every lane's head right after it (its own among
   * them), read in the same transaction: what the next periodic checkpoint compares with, so an
   * event another process appends just after is not mistaken for part of this one.
   */
  recordWithHeads(
    reason: CheckpointReason,
    pruned?: PrunedRange[],
  ): { event: StoredEvent; heads: Record<string, ChainHead> } {
    const { siteId, key } = this.identity;
    return this.sink.transaction(() => {
      const heads = this.currentHeads();
      const body = { reason, siteId, keyId: key.keyId, at: this.clock.now(), heads, ...(pruned && { pruned }) };
      const event = this.sink.append({
        type: 'chain.checkpoint',
        laneId: GATE_LANE_ID,
        payload: { ...signCheckpoint(body, key.privateKey) },
      });
      return { event, heads: this.currentHeads() };
    });
  }
}
