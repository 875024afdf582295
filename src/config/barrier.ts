import { z } from 'zod';
import { integer, nonEmptyString, positiveMs } from './fields.js';
import { reportProblems, type RuleProblem } from './rules.js';

export const BARRIER_DRIVERS = ['none', 'lcus', 'modbus', 'simulator'] as const;

const inputNumber = () => integer().min(0).max(255);

export const barrierInputsSchema = z
  .strictObject({
    openLimit: inputNumber()
      .optional()
      .describe('Discrete input (0-based) of the open-limit switch, if wired. Needed for `openTimeoutMs`.'),
    closedLimit: inputNumber().optional().describe('Discrete input (0-based) of the closed-limit switch, if wired.'),
    loop: inputNumber().optional().describe("Discrete input (0-based) of the loop detector's output, if wired."),
  })
  .prefault({})
  .describe(
    'Modbus only: which discrete inputs of the relay board are wired to what; leave out what is not wired. Without inputs the state is `unknown`.',
  );

/** `lcus` and `modbus` talk to a serial device; `none` and `simulator` need none. */
export function barrierDeviceMissing(barrier: { driver: string; device?: string | undefined }): RuleProblem[] {
  if ((barrier.driver === 'lcus' || barrier.driver === 'modbus') && !barrier.device) {
    return [{ path: ['device'], message: `driver ${barrier.driver} needs a device (e.g. /dev/serial/by-id/usb-...)` }];
  }
  return [];
}

export const barrierSchema = z
  .strictObject({
    driver: z
      .enum(BARRIER_DRIVERS)
      .default('none')
      .describe(
        'What drives the barrier: `none` (no barrier), `lcus` (LCUS USB relay board), `modbus` (Modbus RTU relay module), `simulator` (a simulated Modbus board, for the demo).',
      ),
    device: nonEmptyString()
      .optional()
      .describe(
        'Serial device of the relay board. Use the stable `/dev/serial/by-id/...` path, not `/dev/ttyUSB0`, which can change on replug.',
      ),
    baud: integer().min(1200).max(115_200).default(9600).describe('Serial speed, bits per second.'),
    address: integer().min(1).max(247).default(1).describe('Modbus address of the relay board (1..247).'),
    channel: integer()
      .min(1)
      .max(8)
      .default(1)
      .describe("LCUS: relay channel (1-based) wired to the controller's open input."),
    coil: integer()
      .min(0)
      .max(255)
      .default(0)
      .describe("Modbus: relay (coil, 0-based) wired to the controller's open input."),
    mode: z
      .enum(['pulse', 'flash'])
      .default('pulse')
      .describe(
        'Modbus: `pulse` writes the coil on, then off after pulseMs; `flash` asks the board to release it by itself (Waveshare-style boards only; see docs/barrier.md).',
      ),
    pulseMs: positiveMs().max(10_000).default(500).describe('How long the open contact is closed, ms.'),
    openTimeoutMs: positiveMs()
      .default(10_000)
      .describe('No open limit this long after an open → one retry; again → fault. Needs inputs.openLimit.'),
    commandDeadlineMs: positiveMs()
      .default(2000)
      .describe('An open not sent within this long (ms) after it was decided is dropped, never sent late.'),
    pollMs: positiveMs().default(200).describe('Modbus: how often the inputs are read, ms.'),
    responseTimeoutMs: positiveMs().default(500).describe("Modbus: how long to wait for the board's answer, ms."),
    inputs: barrierInputsSchema,
  })
  .superRefine((barrier, ctx) => reportProblems(ctx, barrierDeviceMissing(barrier)))
  .prefault({})
  .describe(
    "The lane barrier's relay board. smartgate only ever asks the barrier to open; closing is the controller's auto-close.",
  );

export type BarrierConfig = z.infer<typeof barrierSchema>;
