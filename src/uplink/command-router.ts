import type { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { GATE_LANE_ID } from '../store/types.js';
import { COMMAND_MAX_BYTES, commandRequestSchema, describeIssues, timestampMs, type CommandRequest } from './commands-contract.js';
import { echo, type InboundOutcome, type Refusal } from './inbound-outcome.js';

/**
 * Thrown by a handler that understood the command but will not run it: `invalid` for arguments
 * that only make sense together (a lane command without laneId), `conflict` when the gate's
 * state does not allow it now (a hold already resolved). Anything else a handler throws is
 * `failed`.
 */
export class CommandRefused extends Error {
  constructor(
    readonly code: 'invalid' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'CommandRefused';
  }
}

/** What a handler knows about the command besides its arguments. */
export interface CommandContext {
  id: string;
  /** The lane named in the command (a configured one), or null for the whole gate. */
  laneId: string | null;
}

/** One command: its arguments' schema and the handler; a new command is one entry in the table. */
export interface CommandDefinition<Args = unknown> {
  summary: string;
  args: z.ZodType<Args>;
  run(args: Args, ctx: CommandContext): Record<string, unknown>;
}

/** Keeps the link between a schema and its handler's argument type. */
export function defineCommand<S extends z.ZodType>(definition: CommandDefinition<z.infer<S>> & { args: S }): CommandDefinition {
  return definition as unknown as CommandDefinition;
}

export type CommandTable = Readonly<Record<string, CommandDefinition>>;

/** Command ids already received (the store's CommandLog). */
export interface SeenCommandIds {
  /** False when `id` was recorded before. */
  remember(id: string, receivedAt: number): boolean;
  prune(before: number): number;
}

export interface CommandRouterOptions {
  commands: CommandTable;
  seen: SeenCommandIds;
  /** The configured lanes: a command naming another lane is refused. */
  laneIds: readonly string[];
  /** mqtt.commands: a command older than maxAgeMs, or more than maxFutureMs ahead, is refused. */
  maxAgeMs: number;
  maxFutureMs: number;
}

/** How often seen ids are pruned (monotonic ms); pruning happens on receipt, no timer needed. */
const PRUNE_EVERY_MS = 60_000;

/**
 * Checks one command from central and runs it, by looking its name up in the table. Every way
 * a message can be wrong ends in a refusal with a code and a message naming the field; nothing
 * malformed reaches a handler, and a handler that throws is a `failed` refusal, not a crash.
 * The order of the checks is the order of their cost; an id is remembered only once the
 * command passed every other check, so it is run at most once.
 */
export class CommandRouter {
  private lastPruneAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly ctx: { clock: Clock },
    private readonly opts: CommandRouterOptions,
  ) {}

  /** The names in the table, for docs and logs. */
  get names(): string[] {
    return Object.keys(this.opts.commands);
  }

  handle(name: string, payload: Buffer): InboundOutcome {
    let id: string | null = null;
    let laneId: string | null = null;
    const refuse = (refusal: Refusal): InboundOutcome => ({
      reply: { status: 'error', ...(id !== null && { id }), error: refusal },
      event: commandEvent(name, id, laneId, 'error', refusal),
    });

    if (payload.length > COMMAND_MAX_BYTES) return refuse({ code: 'too-large', message: `payload is ${payload.length} bytes, more than the ${COMMAND_MAX_BYTES} allowed for a command` });
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch (err) {
      return refuse({ code: 'bad-json', message: `payload is not JSON: ${(err as Error).message}` });
    }
    const parsed = commandRequestSchema.safeParse(json);
    if (!parsed.success) {
      id = readableId(json);
      return refuse({ code: 'invalid', message: describeIssues(parsed.error) });
    }
    const request = parsed.data;
    id = request.id;
    if (request.laneId !== undefined && this.opts.laneIds.includes(request.laneId)) laneId = request.laneId;

    const definition = Object.hasOwn(this.opts.commands, name) ? this.opts.commands[name] : undefined;
    if (!definition) return refuse({ code: 'unknown-command', message: `no command "${echo(name)}"; known: ${this.names.join(', ')}` });
    if (request.laneId !== undefined && laneId === null) {
      return refuse({ code: 'unknown-lane', message: `laneId: no lane "${request.laneId}" at this gate; lanes: ${this.opts.laneIds.join(', ')}` });
    }
    const args = definition.args.safeParse(request.args ?? {});
    if (!args.success) return refuse({ code: 'invalid', message: `args: ${describeIssues(args.error)}` });

    const now = this.ctx.clock.now();
    const timing = this.checkTiming(request, now);
    if (timing) return refuse(timing);
    this.pruneSeen(now);
    if (!this.opts.seen.remember(request.id, now)) return refuse({ code: 'replayed', message: `id: command "${request.id}" was received before` });

    let data: Record<string, unknown>;
    try {
      data = definition.run(args.data, { id: request.id, laneId });
    } catch (err) {
      if (err instanceof CommandRefused) return refuse({ code: err.code, message: err.message });
      return refuse({ code: 'failed', message: `${name} failed: ${(err as Error).message}` });
    }
    return { reply: { status: 'ok', id: request.id, data }, event: commandEvent(name, id, laneId, 'ok', null) };
  }

  private checkTiming(request: CommandRequest, now: number): Refusal | null {
    const ts = timestampMs(request.ts);
    const { maxAgeMs, maxFutureMs } = this.opts;
    if (request.expiresAt !== undefined && timestampMs(request.expiresAt) <= now) {
      return { code: 'expired', message: `expiresAt: ${new Date(timestampMs(request.expiresAt)).toISOString()} has passed (gate time ${new Date(now).toISOString()})` };
    }
    if (ts < now - maxAgeMs) return { code: 'expired', message: `ts: command is ${now - ts} ms old, more than the ${maxAgeMs} ms allowed` };
    if (ts > now + maxFutureMs) {
      return { code: 'too-early', message: `ts: command is ${ts - now} ms ahead of the gate's clock, more than the ${maxFutureMs} ms allowed` };
    }
    return null;
  }

  /**
   * A replay can only pass the timing checks within maxAgeMs + maxFutureMs of the first
   * receipt, so ids older than that can go.
   */
  private pruneSeen(now: number): void {
    const mono = this.ctx.clock.monotonic();
    if (mono - this.lastPruneAt < PRUNE_EVERY_MS) return;
    this.lastPruneAt = mono;
    this.opts.seen.prune(now - (this.opts.maxAgeMs + this.opts.maxFutureMs));
  }
}

/** The `command` event: accepted or refused, with the refusal's code as `reason`. */
function commandEvent(name: string, id: string | null, laneId: string | null, status: 'ok' | 'error', refusal: Refusal | null) {
  return {
    type: 'command' as const,
    laneId: laneId ?? GATE_LANE_ID,
    payload: { name: echo(name), id, status, reason: refusal?.code ?? null, ...(refusal && { message: refusal.message }) },
  };
}

/** The id of a request that failed validation, when it has a usable one, so central can match the refusal. */
function readableId(json: unknown): string | null {
  const id = typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : null;
}

