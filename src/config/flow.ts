import { z } from 'zod';
import { integer, positiveMs } from './fields.js';

export const flowSchema = z
  .strictObject({
    waitAlarmMs: positiveMs()
      .default(120_000)
      .describe(
        'A vehicle on the loop without a read, held for the operator, or refused, this long (ms) raises a `lane.vehicle-waiting` alarm (once).',
      ),
    passTimeoutMs: positiveMs()
      .default(20_000)
      .describe(
        "After an open, the vehicle's visit ends this long (ms) later if no passage was seen: `not-passed` when a loop or limits are wired, `passed-unconfirmed` when nothing is.",
      ),
    cooldownMs: integer()
      .nonnegative()
      .default(10_000)
      .describe(
        'The plate of the vehicle just handled, read again within this long (ms), is the same vehicle: not decided or opened for again.',
      ),
    boomCloseMs: positiveMs()
      .default(5000)
      .describe(
        'Without a closed-limit input, the boom counts as down this long (ms) after the vehicle passed; another vehicle within it is tailgating.',
      ),
  })
  .prefault({})
  .describe('How the lane follows a vehicle from arrival to passage: its timeouts and alarms (docs/lanes.md).');

export type FlowConfig = z.infer<typeof flowSchema>;
