import { z } from 'zod';
import { SLUG_PATTERN } from '../config/fields.js';
import type { YardRequest, YardResult, YardService } from '../yard/yard-service.js';
import { CommandRefused, defineCommand, type CommandContext, type CommandTable } from './command-router.js';
import { plateKey, timestamp, timestampMs } from './commands-contract.js';
import { operatorArgs } from './lane-commands.js';

/** What the yard commands need of the yards (the YardService). */
export type YardControl = Pick<
  YardService,
  'yardIds' | 'state' | 'states' | 'call' | 'cancelCall' | 'markLeft' | 'addVehicle'
>;

const yardId = () =>
  z
    .string()
    .max(64)
    .regex(SLUG_PATTERN, { error: 'expected a yard id (slug)' })
    .describe('The yard (config yards[].id).');

const callArgs = z.strictObject({
  yardId: yardId(),
  plate: plateKey().describe('Canonical plate text of the vehicle called (29C12345, 云A12345).'),
  cancel: z.boolean().optional().describe('true: withdraw the call not yet used, instead of calling.'),
  ...operatorArgs,
});

export const YARD_CORRECTIONS = ['mark-left', 'add'] as const;

const correctArgs = z
  .strictObject({
    yardId: yardId(),
    action: z
      .enum(YARD_CORRECTIONS)
      .describe('mark-left: a vehicle inside has gone unseen; add: a vehicle came in unseen (a lane was down).'),
    visitId: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe('mark-left: the visit, as listed in the yard state (or give plate).'),
    plate: plateKey().optional().describe('mark-left: the vehicle inside (or give visitId); add: required.'),
    pairedPlate: plateKey()
      .optional()
      .describe("add: a cross-border truck's plate of the other country, so an exit read of either finds it."),
    vehicleClass: z
      .string()
      .max(64)
      .regex(SLUG_PATTERN, { error: 'expected a class id (slug)' })
      .optional()
      .describe("add: the yard class it counts against; default: from its plate's kind."),
    enteredAt: timestamp().optional().describe('add: when it came in, if known; default: now.'),
    ...operatorArgs,
  })
  .superRefine((args, ctx) => {
    const issue = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message });
    if (args.action === 'mark-left') {
      if (args.visitId === undefined && args.plate === undefined) issue('visitId', 'mark-left needs visitId or plate');
      if (args.visitId !== undefined && args.plate !== undefined)
        issue('plate', 'mark-left takes visitId or plate, not both');
      if (args.vehicleClass !== undefined) issue('vehicleClass', 'only for add');
      if (args.pairedPlate !== undefined) issue('pairedPlate', 'only for add');
      if (args.enteredAt !== undefined) issue('enteredAt', 'only for add');
    } else {
      if (args.plate === undefined) issue('plate', 'required for add');
      if (args.visitId !== undefined) issue('visitId', 'only for mark-left');
    }
  });

/**
 * The yards' commands for central: see every yard, call a vehicle forward (or withdraw the
 * call), and correct a yard's book (a vehicle gone or come unseen). Each change is recorded by
 * the YardService (`yard.call`, or `operator.action` with the `yard.left`/`yard.entered` it
 * causes, with who and why) before the yard acts on it. Without yards, the status is empty and
 * the changes are refused naming the yard.
 */
export function yardCommands(yards: YardControl | null): CommandTable {
  const control = yards ?? NO_YARDS;
  const fromCentral = (args: { operator: string; reason: string }, ctx: CommandContext): YardRequest => ({
    operator: args.operator,
    reason: args.reason,
    source: 'central',
    commandId: ctx.id,
  });
  /**
   * A refusal names what was wrong: an unknown yard is the caller's `yardId`; a bad class or
   * entry time is `invalid` and named by the yard; what the yard's state does not allow now (not
   * inside, already inside, no call, already called) is a `conflict`.
   */
  const answer = (result: YardResult) => {
    if (result.ok) return { eventId: result.event.eventId };
    if (result.code === 'no-such-yard') throw new CommandRefused('invalid', `yardId: ${result.message}`);
    throw new CommandRefused(result.code === 'invalid' ? 'invalid' : 'conflict', result.message);
  };
  return {
    'yard.status': defineCommand({
      summary:
        "Each yard's state: occupancy, vehicles inside with their dwell, holds and calls (or one yard's, with yardId).",
      access: 'read',
      args: z.strictObject({ yardId: yardId().optional() }),
      run: (args) => {
        if (args.yardId === undefined) return { yards: control.states() };
        const state = control.state(args.yardId);
        if (!state)
          throw new CommandRefused(
            'invalid',
            `yardId: no yard "${args.yardId}" (yards: ${control.yardIds().join(', ') || 'none'})`,
          );
        return { yards: [state] };
      },
    }),
    'yard.call': defineCommand({
      summary:
        'Call a vehicle in the yard forward to the crossing, or withdraw the call with cancel (yardId, plate, operator, reason).',
      access: 'write',
      args: callArgs,
      run: (args, ctx) => {
        const request = fromCentral(args, ctx);
        if (args.cancel === true) return answer(control.cancelCall(args.yardId, args.plate, request));
        const result = control.call(args.yardId, args.plate, request);
        const data = answer(result);
        return { ...data, expiresAt: result.ok ? result.event.payload.expiresAt : null };
      },
    }),
    'yard.correct': defineCommand({
      summary:
        "Correct a yard's book: mark a vehicle inside as gone (mark-left, by visitId or plate) or add one that came in unseen (add: plate, pairedPlate, vehicleClass, enteredAt), with operator and reason.",
      access: 'write',
      args: correctArgs,
      run: (args, ctx) => {
        const request = fromCentral(args, ctx);
        if (args.action === 'mark-left') {
          const target = args.visitId !== undefined ? { visitId: args.visitId } : { plate: args.plate! };
          return answer(control.markLeft(args.yardId, target, request));
        }
        const vehicle = {
          plate: args.plate!,
          ...(args.pairedPlate !== undefined && { pairedPlate: args.pairedPlate }),
          ...(args.vehicleClass !== undefined && { vehicleClass: args.vehicleClass }),
          ...(args.enteredAt !== undefined && { enteredAt: timestampMs(args.enteredAt) }),
        };
        return answer(control.addVehicle(args.yardId, vehicle, request));
      },
    }),
  };
}

/** A gate without yards: every yard id is unknown. */
const noSuchYard = (yardId: string): YardResult => ({
  ok: false,
  code: 'no-such-yard',
  message: `no yard "${yardId}" (this gate has no yards)`,
});
const NO_YARDS: YardControl = {
  yardIds: () => [],
  state: () => null,
  states: () => [],
  call: noSuchYard,
  cancelCall: noSuchYard,
  markLeft: noSuchYard,
  addVehicle: noSuchYard,
};
