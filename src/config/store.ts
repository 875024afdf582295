import { z } from 'zod';
import { integer, positiveMs } from './fields.js';

export const SYNCHRONOUS_MODES = ['FULL', 'NORMAL'] as const;

export const storeSchema = z
  .strictObject({
    synchronous: z
      .enum(SYNCHRONOUS_MODES)
      .default('FULL')
      .describe(
        'SQLite durability. FULL: an event is on disk when it is recorded. NORMAL: faster, but a power cut can lose ' +
          'the last events recorded (never corrupts the database); a crash of smartgate alone loses nothing in either mode.',
      ),
    retentionDays: integer()
      .min(1)
      .default(90)
      .describe('Delivered events (and their images) older than this many days are deleted. Undelivered events are never deleted.'),
    quotaMb: integer()
      .min(1)
      .default(10240)
      .describe(
        'Disk space (MB) the database and frame images may use together. Over it, the oldest delivered data is deleted ' +
          'early, images first; undelivered events are kept even over quota (an alarm is raised).',
      ),
    retentionIntervalMs: positiveMs()
      .default(3_600_000)
      .describe('How often (ms) retention and the quota are enforced; also once at start-up.'),
  })
  .prefault({})
  .describe('The event store (SQLite in dataDir): durability, retention and disk quota.');

export type StoreConfig = z.infer<typeof storeSchema>;
