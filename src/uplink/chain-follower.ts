import { GATE_LANE_ID } from '../domain/lanes.js';
import { checkEventFields, describeFault } from '../evidence/chain.js';
import { checkpointSignatureValid, parseCheckpoint, type CheckpointPayload } from '../evidence/checkpoint.js';
import type { GatePublicKey } from '../evidence/gate-key.js';
import type { WireEvent } from './contract.js';

/** What `smartgate tail` reports on stderr about the evidence chain (docs/mqtt.md#evidence-chain). */
export type ChainNotice =
  | {
      /** The chain fields do not match the event's own content: its payload or envelope was changed. */
      notice: 'chain-mismatch';
      eventId: string;
      siteId: string;
      laneId: string;
      seq: number;
      fault: 'payload' | 'record';
      detail: string;
    }
  | {
      /**
       * The event does not link to a neighbour received on its lane: `previous` (its prevHash is
       * not the chain hash of seq-1), `next` (seq+1's prevHash is not its chain hash) or `same-seq`
       * (another event with the same seq and a different chain hash arrived first).
       */
      notice: 'chain-broken';
      eventId: string;
      siteId: string;
      laneId: string;
      seq: number;
      link: 'previous' | 'next' | 'same-seq';
      otherEventId: string;
      otherSeq: number;
      detail: string;
    }
  | {
      /** An event without chain fields on a lane whose events before it had them. */
      notice: 'chain-missing';
      eventId: string;
      siteId: string;
      laneId: string;
      seq: number;
      chainedFrom: number;
    }
  | {
      notice: 'checkpoint-invalid';
      eventId: string;
      siteId: string;
      seq: number;
      reason: 'malformed' | 'wrong-site' | 'unknown-key' | 'bad-signature' | 'misplaced';
      keyId: string | null;
      detail: string;
    }
  | {
      /** A validly signed checkpoint's head differs from the event received for that lane and seq. */
      notice: 'checkpoint-mismatch';
      eventId: string;
      siteId: string;
      laneId: string;
      seq: number;
      checkpointSeq: number;
      signed: string;
      received: string | null;
      receivedEventId: string;
    }
  | {
      /** A key seen on a site's key topic: learnt (`adopted`), or refused because it is not the one given. */
      notice: 'gate-key';
      siteId: string;
      keyId: string;
      previousKeyId: string | null;
      adopted: boolean;
    };

export interface ChainFollowerOptions {
  /** The key given with `--gate-key`: the only one checkpoints of any site are checked with. */
  pinnedKey?: GatePublicKey | null;
  /** Links (seq → chain hash) remembered per lane; the oldest received are forgotten first. */
  window?: number;
  /** Signed heads not received yet, remembered per lane to check the event when it comes. */
  maxExpectedHeads?: number;
  /** Checkpoints waiting, per site, for the site's first key. */
  maxPendingCheckpoints?: number;
  /** Keys remembered per site (a gate given a new key signs with it from then on). */
  maxKeysPerSite?: number;
}

export interface ChainSummary {
  /** Events whose chain fields were checked against their content. */
  eventsChecked: number;
  checkpointsVerified: number;
  /** Checkpoints still waiting for their site's key. */
  checkpointsPending: number;
  /** Notices given, by kind. */
  problems: Partial<Record<Exclude<ChainNotice['notice'], 'gate-key'>, number>>;
  /** Keys learnt per site (key ids), oldest first; `--gate-key`'s under `*`. */
  keys: Record<string, string[]>;
}

interface Link {
  eventId: string;
  /** null: the event had no chain fields. */
  chainHash: string | null;
  prevHash: string | null;
}

interface ExpectedHead {
  chainHash: string;
  checkpointEventId: string;
  checkpointSeq: number;
}

interface LaneChain {
  links: Map<number, Link>;
  /** The lowest seq received with chain fields: an event above it without them is suspect. */
  chainedFrom: number | null;
  expected: Map<number, ExpectedHead>;
}

interface PendingCheckpoint {
  event: WireEvent;
  checkpoint: CheckpointPayload;
}

/**
 * Checks the evidence chain as events arrive, pure: each event's fields against its payload and
 * envelope (the crop is never on the wire), its link to the lane's seq-1 and seq+1 when those
 * were received, and the gate's signed checkpoints against the gate key and the chain hashes
 * received. Memory is bounded per lane; what was forgotten or never received is not checked
 * (gaps are the TailTracker's). Never throws on what arrives.
 */
export class ChainFollower {
  private readonly lanes = new Map<string, LaneChain>();
  private readonly keys = new Map<string, Map<string, GatePublicKey>>();
  private readonly pending = new Map<string, PendingCheckpoint[]>();
  private readonly pinnedKey: GatePublicKey | null;
  private readonly window: number;
  private readonly maxExpectedHeads: number;
  private readonly maxPendingCheckpoints: number;
  private readonly maxKeysPerSite: number;
  private eventsChecked = 0;
  private checkpointsVerified = 0;
  private readonly problems: ChainSummary['problems'] = {};

  constructor(opts: ChainFollowerOptions = {}) {
    this.pinnedKey = opts.pinnedKey ?? null;
    this.window = opts.window ?? 10_000;
    this.maxExpectedHeads = opts.maxExpectedHeads ?? 100;
    this.maxPendingCheckpoints = opts.maxPendingCheckpoints ?? 100;
    this.maxKeysPerSite = opts.maxKeysPerSite ?? 8;
  }

  /** One event as received (duplicates included: a redelivery must carry the same link). */
  observe(event: WireEvent): ChainNotice[] {
    const { notices, repeat } = this.follow(event);
    if (event.type === 'chain.checkpoint' && !repeat) notices.push(...this.checkpoint(event));
    return this.counted(notices);
  }

  /** A key from a site's key topic; checks the checkpoints that waited for it. */
  learnKey(siteId: string, key: GatePublicKey): ChainNotice[] {
    const pinned = this.pinnedKey;
    if (pinned) {
      if (key.keyId === pinned.keyId) return [];
      return [{ notice: 'gate-key', siteId, keyId: key.keyId, previousKeyId: pinned.keyId, adopted: false }];
    }
    let keys = this.keys.get(siteId);
    if (!keys) this.keys.set(siteId, (keys = new Map<string, GatePublicKey>()));
    if (keys.has(key.keyId)) return [];
    const previousKeyId = [...keys.keys()].at(-1) ?? null;
    keys.set(key.keyId, key);
    if (keys.size > this.maxKeysPerSite) keys.delete(keys.keys().next().value!);
    const notices: ChainNotice[] = [{ notice: 'gate-key', siteId, keyId: key.keyId, previousKeyId, adopted: true }];
    const waiting = this.pending.get(siteId) ?? [];
    this.pending.delete(siteId);
    for (const { event, checkpoint } of waiting) notices.push(...this.verify(event, checkpoint));
    return this.counted(notices);
  }

  /** The gate started the lane's sequence again (TailTracker's seq-reset): its chain starts anew. */
  resetLane(siteId: string, laneId: string): void {
    this.lanes.delete(laneKey(siteId, laneId));
  }

  summary(): ChainSummary {
    const keys: Record<string, string[]> = {};
    if (this.pinnedKey) keys['*'] = [this.pinnedKey.keyId];
    for (const [siteId, siteKeys] of this.keys) keys[siteId] = [...siteKeys.keys()];
    return {
      eventsChecked: this.eventsChecked,
      checkpointsVerified: this.checkpointsVerified,
      checkpointsPending: [...this.pending.values()].reduce((n, list) => n + list.length, 0),
      problems: { ...this.problems },
      keys,
    };
  }

  /** The notices, and whether the event is a redelivery of a link already received. */
  private follow(event: WireEvent): { notices: ChainNotice[]; repeat: boolean } {
    const { eventId, siteId, laneId, seq } = event;
    const notices: ChainNotice[] = [];
    const chain = event.chain ?? null;
    if (chain) {
      this.eventsChecked++;
      const fault = checkEventFields(event, event.payload, chain);
      if (fault && fault.fault !== 'crop')
        notices.push({
          notice: 'chain-mismatch',
          eventId,
          siteId,
          laneId,
          seq,
          fault: fault.fault,
          detail: describeFault(fault),
        });
    }
    const lane = this.lane(siteId, laneId);
    const chainHash = chain?.chainHash ?? null;
    const seen = lane.links.get(seq);
    if (seen) {
      // The same link again is a redelivery; a different one replaces an event already received.
      if (seen.chainHash === chainHash) return { notices, repeat: true };
      notices.push({
        ...where(event),
        notice: 'chain-broken',
        link: 'same-seq',
        otherEventId: seen.eventId,
        otherSeq: seq,
        detail: `an event with this seq and chain hash ${short(seen.chainHash)} was received before; this one has ${short(chainHash)}`,
      });
      return { notices, repeat: false };
    }
    if (!chain) {
      if (lane.chainedFrom !== null && seq > lane.chainedFrom)
        notices.push({ notice: 'chain-missing', eventId, siteId, laneId, seq, chainedFrom: lane.chainedFrom });
    } else {
      lane.chainedFrom = Math.min(lane.chainedFrom ?? seq, seq);
      const previous = lane.links.get(seq - 1);
      if (previous && previous.chainHash !== chain.prevHash)
        notices.push({
          ...where(event),
          notice: 'chain-broken',
          link: 'previous',
          otherEventId: previous.eventId,
          otherSeq: seq - 1,
          detail: `its prevHash ${short(chain.prevHash)} is not the chain hash ${short(previous.chainHash)} of seq ${seq - 1}`,
        });
      const next = lane.links.get(seq + 1);
      if (next && next.chainHash === null)
        notices.push({
          notice: 'chain-missing',
          eventId: next.eventId,
          siteId,
          laneId,
          seq: seq + 1,
          chainedFrom: seq,
        });
      else if (next && next.prevHash !== chain.chainHash)
        notices.push({
          ...where(event),
          notice: 'chain-broken',
          link: 'next',
          otherEventId: next.eventId,
          otherSeq: seq + 1,
          detail: `seq ${seq + 1} links to ${short(next.prevHash)}, not to this event's chain hash ${short(chain.chainHash)}`,
        });
    }
    const expected = lane.expected.get(seq);
    if (expected) {
      lane.expected.delete(seq);
      if (expected.chainHash !== chainHash) notices.push(headMismatch(event, expected, chainHash));
    }
    lane.links.set(seq, { eventId, chainHash, prevHash: chain?.prevHash ?? null });
    if (lane.links.size > this.window) lane.links.delete(lane.links.keys().next().value!);
    return { notices, repeat: false };
  }

  private checkpoint(event: WireEvent): ChainNotice[] {
    const checkpoint = parseCheckpoint(event.payload);
    if (!checkpoint || event.laneId !== GATE_LANE_ID)
      return [
        invalid(
          event,
          'malformed',
          null,
          checkpoint ? `on lane ${event.laneId}, not ${GATE_LANE_ID}` : 'not a checkpoint payload',
        ),
      ];
    if (checkpoint.siteId !== event.siteId)
      return [invalid(event, 'wrong-site', checkpoint.keyId, `signed for site ${checkpoint.siteId}`)];
    const siteKeys = this.keys.get(event.siteId);
    if (!this.pinnedKey && !siteKeys) {
      // The key topic's retained message comes after what the session queued: wait for it.
      let waiting = this.pending.get(event.siteId);
      if (!waiting) this.pending.set(event.siteId, (waiting = []));
      waiting.push({ event, checkpoint });
      const dropped = waiting.length > this.maxPendingCheckpoints ? waiting.shift()! : null;
      return dropped
        ? [invalid(dropped.event, 'unknown-key', dropped.checkpoint.keyId, 'no key for the site arrived')]
        : [];
    }
    return this.verify(event, checkpoint);
  }

  private verify(event: WireEvent, checkpoint: CheckpointPayload): ChainNotice[] {
    const key = this.pinnedKey
      ? this.pinnedKey.keyId === checkpoint.keyId
        ? this.pinnedKey
        : null
      : (this.keys.get(event.siteId)?.get(checkpoint.keyId) ?? null);
    if (!key) {
      const known = this.pinnedKey
        ? `--gate-key is ${this.pinnedKey.keyId}`
        : `the site's key is ${[...(this.keys.get(event.siteId)?.keys() ?? [])].join(', ')}`;
      return [invalid(event, 'unknown-key', checkpoint.keyId, `signed by key ${checkpoint.keyId}; ${known}`)];
    }
    if (!checkpointSignatureValid(checkpoint, key.publicKey))
      return [
        invalid(
          event,
          'bad-signature',
          checkpoint.keyId,
          `the signature is not key ${key.keyId}'s over the checkpoint`,
        ),
      ];
    // The gate lane's signed head is the checkpoint's own place: an older signed payload replayed
    // as a new event names another.
    const own = checkpoint.heads[GATE_LANE_ID];
    const prevHash = event.chain?.prevHash ?? null;
    if (own ? own.seq !== event.seq - 1 || own.chainHash !== prevHash : prevHash !== null)
      return [
        invalid(
          event,
          'misplaced',
          checkpoint.keyId,
          `its signed head of lane ${GATE_LANE_ID} is not the event before it (seq ${event.seq - 1}): copied from another place`,
        ),
      ];
    this.checkpointsVerified++;
    const notices: ChainNotice[] = [];
    for (const [laneId, head] of Object.entries(checkpoint.heads)) {
      const lane = this.lane(event.siteId, laneId);
      const expected: ExpectedHead = {
        chainHash: head.chainHash,
        checkpointEventId: event.eventId,
        checkpointSeq: event.seq,
      };
      const link = lane.links.get(head.seq);
      if (link) {
        if (link.chainHash !== head.chainHash)
          notices.push(
            headMismatch(
              { siteId: event.siteId, laneId, seq: head.seq, eventId: link.eventId },
              expected,
              link.chainHash,
            ),
          );
        continue;
      }
      // Not received yet (or forgotten): checked if it comes.
      lane.expected.set(head.seq, expected);
      if (lane.expected.size > this.maxExpectedHeads) lane.expected.delete(lane.expected.keys().next().value!);
    }
    return notices;
  }

  private lane(siteId: string, laneId: string): LaneChain {
    const key = laneKey(siteId, laneId);
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = { links: new Map(), chainedFrom: null, expected: new Map() }));
    return lane;
  }

  private counted(notices: ChainNotice[]): ChainNotice[] {
    for (const n of notices) if (n.notice !== 'gate-key') this.problems[n.notice] = (this.problems[n.notice] ?? 0) + 1;
    return notices;
  }
}

function laneKey(siteId: string, laneId: string): string {
  return `${siteId}\u0000${laneId}`;
}

function where(event: WireEvent) {
  return { eventId: event.eventId, siteId: event.siteId, laneId: event.laneId, seq: event.seq };
}

function short(hash: string | null): string {
  return hash === null ? 'none' : `${hash.slice(0, 12)}…`;
}

function invalid(
  event: WireEvent,
  reason: Extract<ChainNotice, { notice: 'checkpoint-invalid' }>['reason'],
  keyId: string | null,
  detail: string,
): ChainNotice {
  return {
    notice: 'checkpoint-invalid',
    eventId: event.eventId,
    siteId: event.siteId,
    seq: event.seq,
    reason,
    keyId,
    detail,
  };
}

function headMismatch(
  received: { eventId: string; siteId: string; laneId: string; seq: number },
  expected: ExpectedHead,
  chainHash: string | null,
): ChainNotice {
  return {
    notice: 'checkpoint-mismatch',
    eventId: expected.checkpointEventId,
    siteId: received.siteId,
    laneId: received.laneId,
    seq: received.seq,
    checkpointSeq: expected.checkpointSeq,
    signed: expected.chainHash,
    received: chainHash,
    receivedEventId: received.eventId,
  };
}
