import type { EventBus } from '../core/bus.js';
import type { Clock, Timer } from '../core/clock.js';
import { errorMessage } from '../core/error-message.js';
import type { Logger } from '../core/log.js';
import type { Service } from '../core/service.js';
import type { DeclarationMode } from '../domain/declarations.js';
import type { LaneEvents } from '../lane/events.js';
import type { StoredFlag, PassageRecord, PostcheckRecords } from '../store/postcheck-records.js';
import type { OutboxEntry, StoredEvent, TransactionalSink } from '../store/types.js';
import type { PostcheckEvents } from './events.js';
import { localDay } from './site-day.js';

/** The decision a passage was let through on, as its recorded event says. */
interface DecisionFacts {
  reason: string;
  declarationId: string | null;
  flags: StoredFlag[];
  confidence: number | null;
  votes: number | null;
}

/** Crops of recent decisions, for the evidence of a flagged passage (bounded: a visit lasts minutes). */
const MAX_CROPS = 200;
/** Passages older than this are forgotten by the ledger (the events keep them as long as retention does). */
const PRUNE_EVERY_MS = 3_600_000;

/**
 * The post-check at the gate ("hậu kiểm", docs/postcheck.md): every vehicle that passes a lane
 * deciding on fee declarations is written to the ledger (PostcheckRecords) in one transaction
 * with, when the decision flagged it, a `postcheck.flagged` event carrying the evidence (the
 * plate crop, the decision whose annotated frame shows the scene, the read's confidence and
 * votes). The ledger counts each declaration's passages: the deciders ask it (`uses`), so a
 * one-passage declaration is used up by its passage, not by a read.
 */
export class PostcheckService implements Service {
  readonly name = 'postcheck';
  private readonly uses = new Map<string, number>();
  private readonly crops = new Map<string, Buffer>();
  private timer: Timer | null = null;
  private counters = { passages: 0, declared: 0, undeclared: 0, flagged: 0, notRecorded: 0 };
  private readonly flagCounts = new Map<string, number>();
  /** Per lane on declarations, for the metrics: passages by status, flags by kind. */
  private readonly laneCounts = new Map<
    string,
    { declared: number; undeclared: number; flags: Record<string, number> }
  >();

  constructor(
    private readonly ctx: { bus: EventBus<LaneEvents & PostcheckEvents>; log: Logger; clock: Clock },
    private readonly deps: {
      sink: TransactionalSink & { get(eventId: string): OutboxEntry | undefined };
      records: PostcheckRecords;
    },
    private readonly settings: {
      /** Each lane's decisions.declarations. */
      modes: ReadonlyMap<string, DeclarationMode>;
      timeZone: string;
      /** Passages older than this many days are pruned from the ledger. */
      retentionDays: number;
    },
  ) {
    for (const [laneId, mode] of settings.modes)
      if (mode !== 'off') this.laneCounts.set(laneId, { declared: 0, undeclared: 0, flags: {} });
  }

  async start(): Promise<void> {
    this.deps.records.setTimeZone(this.settings.timeZone);
    for (const [id, n] of this.deps.records.uses()) this.uses.set(id, n);
    this.ctx.bus.on(this, 'lane.decision', (e) => {
      if (!this.watches(e.laneId) || !e.read.crop) return;
      this.crops.set(e.eventId, e.read.crop);
      if (this.crops.size > MAX_CROPS) this.crops.delete(this.crops.keys().next().value!);
    });
    this.ctx.bus.on(this, 'lane.recorded', ({ laneId, event }) => {
      if (event.type !== 'vehicle' || !this.watches(laneId)) return;
      if (event.payload.outcome === 'passed' || event.payload.outcome === 'passed-unconfirmed')
        this.passed(laneId, event);
    });
    this.prune();
  }

  async stop(): Promise<void> {
    this.ctx.bus.removeAll(this);
    if (this.timer) this.ctx.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** How many passages have used declaration `id`: what the deciders read. */
  usesOf(id: string): number {
    return this.uses.get(id) ?? 0;
  }

  stats() {
    return {
      ...this.counters,
      flags: Object.fromEntries(this.flagCounts),
      lanes: [...this.laneCounts].map(([laneId, c]) => ({ laneId, ...c, flags: { ...c.flags } })),
    };
  }

  private watches(laneId: string): boolean {
    const mode = this.settings.modes.get(laneId);
    return mode !== undefined && mode !== 'off';
  }

  private passed(laneId: string, vehicle: StoredEvent): void {
    const p = vehicle.payload;
    const plate = typeof p.plate === 'string' ? p.plate : null;
    const decisionId = typeof p.decisionId === 'string' ? p.decisionId : null;
    const facts = decisionId ? this.decisionFacts(decisionId) : null;
    const { status, flags, declarationId } = passageVerdict(facts, plate);
    const crop = decisionId ? this.crops.get(decisionId) : undefined;
    if (decisionId) this.crops.delete(decisionId);
    const passage: PassageRecord = {
      passageId: vehicle.eventId,
      decisionId,
      laneId,
      plate,
      passedAt: vehicle.ts,
      day: localDay(vehicle.ts, this.settings.timeZone),
      status,
      declarationId,
      flags,
      flagEventId: null,
      confidence: facts?.confidence ?? null,
      votes: facts?.votes ?? null,
    };
    try {
      this.deps.sink.transaction(() => {
        if (flags.length > 0) {
          const flagged = this.deps.sink.append({
            type: 'postcheck.flagged',
            laneId,
            payload: {
              passageId: passage.passageId,
              decisionId,
              plate,
              passedAt: passage.passedAt,
              day: passage.day,
              status,
              declarationId,
              flags,
              confidence: passage.confidence,
              votes: passage.votes,
            },
            ...(crop ? { crop } : {}),
          });
          passage.flagEventId = flagged.eventId;
          this.deps.sink.afterCommit(() => this.ctx.bus.emit('lane.recorded', { laneId, event: flagged }));
        }
        this.deps.records.add(passage);
      });
    } catch (err) {
      // The vehicle has passed either way: the use counts, or the declaration could be used again.
      this.counters.notRecorded++;
      this.ctx.log.error(
        { err: errorMessage(err), passageId: passage.passageId, plate, flags: flags.map((f) => f.kind) },
        'post-check: the passage could not be recorded',
      );
    }
    if (declarationId) this.uses.set(declarationId, this.usesOf(declarationId) + 1);
    this.counters.passages++;
    this.counters[status]++;
    if (flags.length > 0) this.counters.flagged++;
    for (const f of flags) this.flagCounts.set(f.kind, (this.flagCounts.get(f.kind) ?? 0) + 1);
    const lane = this.laneCounts.get(laneId);
    if (lane) {
      lane[status]++;
      for (const f of flags) lane.flags[f.kind] = (lane.flags[f.kind] ?? 0) + 1;
    }
    this.ctx.bus.emit('postcheck.changed', { day: passage.day });
  }

  /** The recorded decision: the store keeps it, so a restart between decision and passage loses nothing. */
  private decisionFacts(decisionId: string): DecisionFacts | null {
    const p = this.deps.sink.get(decisionId)?.event.payload;
    if (!p) return null;
    const declaration = p.declaration as { id?: unknown } | undefined;
    return {
      reason: typeof p.reason === 'string' ? p.reason : '',
      declarationId: typeof declaration?.id === 'string' ? declaration.id : null,
      flags: Array.isArray(p.postcheck) ? (p.postcheck as StoredFlag[]) : [],
      confidence: typeof p.confidence === 'number' ? p.confidence : null,
      votes: typeof p.votes === 'number' ? p.votes : null,
    };
  }

  private prune(): void {
    this.timer = null;
    try {
      const pruned = this.deps.records.prune(this.ctx.clock.now() - this.settings.retentionDays * 86_400_000);
      if (pruned > 0) this.ctx.log.info({ pruned }, 'post-check: old passages pruned');
    } catch (err) {
      this.ctx.log.warn({ err: errorMessage(err) }, 'post-check: pruning failed');
    }
    this.timer = this.ctx.clock.setTimeout(() => this.prune(), PRUNE_EVERY_MS);
  }
}

/**
 * What a passage is for the post-check, from its decision. An open the declarations allowed is
 * as decided; a hold an operator let through (`not-declared`, `declaration-used`, or one decided
 * before the declarations were looked at) passes undeclared, flagged; a barrier opened by hand
 * with no decision is flagged too. Pure.
 */
export function passageVerdict(
  facts: DecisionFacts | null,
  plate: string | null,
): { status: 'declared' | 'undeclared'; flags: StoredFlag[]; declarationId: string | null } {
  if (!facts) {
    return {
      status: 'undeclared',
      declarationId: null,
      flags: [
        { kind: 'undeclared', detail: `${plate ?? 'a vehicle'} passed with no decision on record (opened by hand)` },
      ],
    };
  }
  const flags = [...facts.flags];
  const byOperator = (kind: string, detail: string) =>
    flags.some((f) => f.kind === kind) ? flags : [...flags, { kind, detail: `let through by the operator: ${detail}` }];
  switch (facts.reason) {
    case 'declared':
      return { status: 'declared', declarationId: facts.declarationId, flags };
    case 'undeclared':
      return { status: 'undeclared', declarationId: facts.declarationId, flags };
    case 'declaration-used':
      return {
        status: 'undeclared',
        declarationId: facts.declarationId,
        flags: byOperator('declaration-used', `the declaration ${facts.declarationId ?? ''} was used already`),
      };
    default: {
      // Held for another reason (or turned into a hold by the lane or the yard) and let through:
      // declared if the decision found a declaration, else undeclared.
      if (facts.declarationId && !flags.some((f) => f.kind === 'declaration-used'))
        return { status: 'declared', declarationId: facts.declarationId, flags };
      return {
        status: 'undeclared',
        declarationId: facts.declarationId,
        flags: byOperator('undeclared', `${plate ?? 'the vehicle'} had no valid fee declaration (${facts.reason})`),
      };
    }
  }
}
