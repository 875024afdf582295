import type { z } from 'zod';
import type { Clock } from '../core/clock.js';
import type { SignatureCheck } from './central-inbox.js';
import {
  COMMAND_MAX_BYTES,
  commandRequestSchema,
  describeIssues,
  timestampMs,
  type CommandRequest,
} from './commands-contract.js';
import { echo, type InboundOutcome, type Refusal } from './inbound-outcome.js';
import { GATE_LANE_ID } from '../domain/lanes.js';

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

/**
 * What a command may do, which decides what it takes to run it: `read` changes nothing (and may
 * run unsigned where mqtt.commands.acceptUnsignedReadOnly allows it); `write` changes the gate's
 * state (always signed); `actuate` opens a barrier (always signed, and bound to
 * mqtt.commands.actuatingMaxAgeMs with an `expiresAt`).
 */
export type CommandAccess = 'read' | 'write' | 'actuate';

/** One command: its arguments' schema and the handler; a new command is one entry in the table. */
export interface CommandDefinition<Args = unknown> {
  summary: string;
  access: CommandAccess;
  args: z.ZodType<Args>;
  run(args: Args, ctx: CommandContext): Record<string, unknown>;
}

/** Keeps the link between a schema and its handler's argument type. */
export function defineCommand<S extends z.ZodType>(
  definition: CommandDefinition<z.infer<S>> & { args: S },
): CommandDefinition {
  return definition;
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
  /** The age limit of `actuate` commands, which must also carry an expiresAt within it. */
  actuatingMaxAgeMs: number;
  /** Run `read` commands without a valid signature. */
  acceptUnsignedReadOnly: boolean;
}

/** How often seen ids are pruned (monotonic ms); pruning happens on receipt, no timer needed. */
const PRUNE_EVERY_MS = 60_000;

/**
 * Checks one command from central and runs it, by looking its name up in the table. Every way
 * a message can be wrong ends in a refusal with a code and a message naming the field; nothing
 * malformed reaches a handler, and a handler that throws is a `failed` refusal, not a crash.
 * The signature is checked right after the size, before the payload is parsed: an unsigned
 * command says nothing about itself, not even which commands exist. The other checks follow in
 * the order of their cost; an id is remembered only once the command passed every other check,
 * so it is run at most once.
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

  handle(name: string, payload: Buffer, signature: SignatureCheck): InboundOutcome {
    let id: string | null = null;
    let laneId: string | null = null;
    let kid: string | null = null;
    const refuse = (refusal: Refusal): InboundOutcome => ({
      reply: { status: 'error', ...(id !== null && { id }), error: refusal },
      event: commandEvent(name, id, laneId, kid, 'error', refusal),
    });

    if (payload.length > COMMAND_MAX_BYTES)
      return refuse({
        code: 'too-large',
        message: `payload is ${payload.length} bytes, more than the ${COMMAND_MAX_BYTES} allowed for a command`,
      });
    const definition = Object.hasOwn(this.opts.commands, name) ? this.opts.commands[name] : undefined;
    const verdict = signature();
    if (verdict.signed) kid = verdict.kid;
    else if (!(definition?.access === 'read' && this.opts.acceptUnsignedReadOnly)) return refuse(verdict.refusal);
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

    if (!definition)
      return refuse({
        code: 'unknown-command',
        message: `no command "${echo(name)}"; known: ${this.names.join(', ')}`,
      });
    if (request.laneId !== undefined && laneId === null) {
      return refuse({
        code: 'unknown-lane',
        message: `laneId: no lane "${request.laneId}" at this gate; lanes: ${this.opts.laneIds.join(', ')}`,
      });
    }
    const args = definition.args.safeParse(request.args ?? {});
    if (!args.success) return refuse({ code: 'invalid', message: `args: ${describeIssues(args.error)}` });

    const now = this.ctx.clock.now();
    const timing = this.checkTiming(name, definition.access, request, now);
    if (timing) return refuse(timing);
    this.pruneSeen(now);
    if (!this.opts.seen.remember(request.id, now))
      return refuse({ code: 'replayed', message: `id: command "${request.id}" was received before` });

    let data: Record<string, unknown>;
    try {
      data = definition.run(args.data, { id: request.id, laneId });
    } catch (err) {
      if (err instanceof CommandRefused) return refuse({ code: err.code, message: err.message });
      return refuse({ code: 'failed', message: `${name} failed: ${(err as Error).message}` });
    }
    return { reply: { status: 'ok', id: request.id, data }, event: commandEvent(name, id, laneId, kid, 'ok', null) };
  }

  /**
   * An opening command queued at the broker while the gate was down must not open the barrier
   * long after the operator asked: it lives at most actuatingMaxAgeMs, and central states its
   * end (`expiresAt`, by central's own clock, so it is compared with `ts`, not with the gate's).
   */
  private checkTiming(name: string, access: CommandAccess, request: CommandRequest, now: number): Refusal | null {
    const ts = timestampMs(request.ts);
    const { maxFutureMs } = this.opts;
    const maxAgeMs = access === 'actuate' ? this.opts.actuatingMaxAgeMs : this.opts.maxAgeMs;
    const allowed = access === 'actuate' ? `allowed for ${echo(name)}, which opens the barrier` : 'allowed';
    if (access === 'actuate') {
      if (request.expiresAt === undefined)
        return { code: 'invalid', message: `expiresAt: required for ${echo(name)}, which opens the barrier` };
      const life = timestampMs(request.expiresAt) - ts;
      if (life > maxAgeMs)
        return { code: 'invalid', message: `expiresAt: ${life} ms after ts, more than the ${maxAgeMs} ms ${allowed}` };
    }
    if (request.expiresAt !== undefined && timestampMs(request.expiresAt) <= now) {
      return {
        code: 'expired',
        message: `expiresAt: ${new Date(timestampMs(request.expiresAt)).toISOString()} has passed (gate time ${new Date(now).toISOString()})`,
      };
    }
    if (ts < now - maxAgeMs)
      return { code: 'expired', message: `ts: command is ${now - ts} ms old, more than the ${maxAgeMs} ms ${allowed}` };
    if (ts > now + maxFutureMs) {
      return {
        code: 'too-early',
        message: `ts: command is ${ts - now} ms ahead of the gate's clock, more than the ${maxFutureMs} ms allowed`,
      };
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

/** The `command` event: accepted or refused, with the refusal's code as `reason` and the key that signed it (null: unsigned or not checked). */
function commandEvent(
  name: string,
  id: string | null,
  laneId: string | null,
  kid: string | null,
  status: 'ok' | 'error',
  refusal: Refusal | null,
) {
  return {
    type: 'command' as const,
    laneId: laneId ?? GATE_LANE_ID,
    payload: {
      name: echo(name),
      id,
      status,
      reason: refusal?.code ?? null,
      kid,
      ...(refusal && { message: refusal.message }),
    },
  };
}

/** The id of a request that failed validation, when it has a usable one, so central can match the refusal. */
function readableId(json: unknown): string | null {
  const id = typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : null;
}
