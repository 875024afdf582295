import { z } from 'zod';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export const logSchema = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default('info').describe('Least severe log level written: debug, info, warn or error.'),
  })
  .prefault({})
  .describe('Logging (JSON lines on stderr; stdout carries command output).');

export type LogConfig = z.infer<typeof logSchema>;
