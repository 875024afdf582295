import { z } from 'zod';
import { integer, positiveMs } from './fields.js';

export const SYNCHRONOUS_MODES = ['FULL', 'NORMAL'] as const;

/** Entries per list by default: a few times any border gate's permits, about 26 MB of memory (docs/benchmarks.md). */
export const DEFAULT_MAX_LIST_ENTRIES = 200_000;

export const storeListsSchema = z
  .strictObject({
    maxEntries: integer()
      .min(1)
      .max(5_000_000)
      .default(DEFAULT_MAX_LIST_ENTRIES)
      .describe(
        'Most entries one list (allow, deny, watch) may hold. A push from central that would make a list longer is ' +
          'refused (`too-many-entries`) and the list stays as it was. The lists are held in memory for the lanes: ' +
          'about 130 bytes per entry (200 000 entries: about 26 MB), and a start reads them all once (200 000: under a second).',
      ),
  })
  .prefault({})
  .describe('The lists central pushes (allow, deny, watch), as the gate stores them.');

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
      .describe(
        'Delivered events (and their images) older than this many days are deleted. Undelivered events are never deleted.',
      ),
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
    checkpointIntervalMs: positiveMs()
      .default(900_000)
      .describe(
        'How often (ms) the gate signs the heads of its evidence chains (a chain.checkpoint event, docs/evidence.md) ' +
          'when something was recorded since the last one; also at every start and shutdown.',
      ),
    lists: storeListsSchema,
  })
  .prefault({})
  .describe('The event store (SQLite in dataDir): durability, retention and disk quota.');

export type StoreConfig = z.infer<typeof storeSchema>;
