import { z } from 'zod';
import type { LaneSnapshot } from '../lane/flow/lane-snapshot.js';
import type { OperatorRequest, OperatorResult } from '../lane/flow/lane-controller.js';
import { CommandRefused, defineCommand, type CommandContext, type CommandTable } from './command-router.js';

/** What the lane commands need of a lane (the LaneController). */
export interface LaneControl {
  readonly laneId: string;
  confirm(holdId: string, request: OperatorRequest): OperatorResult;
  refuse(holdId: string, request: OperatorRequest): OperatorResult;
  manualOpen(request: OperatorRequest): OperatorResult;
  snapshot(): LaneSnapshot;
}

/** Who asked and why, in every command that changes something: recorded in its audit event. */
export const operatorArgs = {
  operator: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .describe("Who decided (the operator's user id at central); recorded in the audit event."),
  reason: z
    .string()
    .trim()
    .min(3)
    .max(500)
    .describe("Why, in the operator's words (at least 3 characters); recorded in the audit event."),
};
const holdArgs = z.strictObject({
  holdId: z
    .string()
    .min(1)
    .max(64)
    .describe('The hold, as listed by lane.holds (the id of the event that created it).'),
  ...operatorArgs,
});

/**
 * The lane's commands for central: list the holds, confirm or refuse one, open by hand. Each
 * accepted action is recorded as an `operator.action` event (who, why, which hold) before the
 * lane acts; the barrier's answer follows as `barrier.actuation` events.
 */
export function laneCommands(lanes: readonly LaneControl[]): CommandTable {
  const laneOf = (ctx: CommandContext): LaneControl => {
    const lane = ctx.laneId === null ? undefined : lanes.find((l) => l.laneId === ctx.laneId);
    if (!lane)
      throw new CommandRefused(
        'invalid',
        `laneId: this command acts on one lane; lanes: ${lanes.map((l) => l.laneId).join(', ')}`,
      );
    return lane;
  };
  const fromCentral = (args: { operator: string; reason: string }, ctx: CommandContext): OperatorRequest => ({
    operator: args.operator,
    reason: args.reason,
    source: 'central',
    commandId: ctx.id,
  });
  const answer = (result: OperatorResult) => {
    if (!result.ok) throw new CommandRefused('conflict', result.refusal.message);
    return { eventId: result.event.eventId };
  };
  return {
    'lane.holds': defineCommand({
      summary: "Each lane's phase, the vehicle in hand and the pending holds (or one lane's, with laneId).",
      access: 'read',
      args: z.strictObject({}),
      run: (_args, ctx) => ({
        lanes: lanes
          .filter((l) => ctx.laneId === null || l.laneId === ctx.laneId)
          .map((l) => {
            const { phase, vehicle, holds, barrier } = l.snapshot();
            return { laneId: l.laneId, phase, vehicle, holds, barrier: barrier?.state ?? null };
          }),
      }),
    }),
    'hold.confirm': defineCommand({
      summary: 'Let the held vehicle at the barrier through: opens the barrier (laneId, holdId, operator, reason).',
      access: 'actuate',
      args: holdArgs,
      run: (args, ctx) => answer(laneOf(ctx).confirm(args.holdId, fromCentral(args, ctx))),
    }),
    'hold.refuse': defineCommand({
      summary: 'Refuse a held vehicle; the barrier stays closed (laneId, holdId, operator, reason).',
      access: 'write',
      args: holdArgs,
      run: (args, ctx) => answer(laneOf(ctx).refuse(args.holdId, fromCentral(args, ctx))),
    }),
    'barrier.open': defineCommand({
      summary: "Open the lane's barrier by hand, whatever the lane is doing (laneId, operator, reason).",
      access: 'actuate',
      args: z.strictObject(operatorArgs),
      run: (args, ctx) => answer(laneOf(ctx).manualOpen(fromCentral(args, ctx))),
    }),
  };
}
