import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import type { ListSummary } from '../store/lists.js';
import type { Outbox } from '../store/types.js';
import { defineCommand, type CommandTable } from './command-router.js';
import { LIST_NAMES } from '../domain/lists.js';

export interface GateCommandDeps {
  clock: Pick<Clock, 'now'>;
  bootId: string;
  version: string;
  lists: { summaries(): ListSummary[] };
  outbox: Pick<Outbox, 'pending' | 'pendingCount'>;
}

const noArgs = z.strictObject({});

/**
 * The commands a gate answers, by name (the last topic level). Each is one entry: the schema of
 * its `args` and a handler returning the reply's `data`. The lanes' commands are in lane-commands.ts.
 */
export function gateCommands(deps: GateCommandDeps): CommandTable {
  return {
    ping: defineCommand({
      summary: 'Is the gate there: its boot id, smartgate version and clock.',
      access: 'read',
      args: noArgs,
      run: () => ({ bootId: deps.bootId, version: deps.version, ts: deps.clock.now() }),
    }),
    'lists.status': defineCommand({
      summary: 'Version, entry count and age of each list (null for a list never received).',
      access: 'read',
      args: noArgs,
      run: () => {
        const now = deps.clock.now();
        const stored = new Map(deps.lists.summaries().map((s) => [s.name, s]));
        const names = [...new Set<string>([...LIST_NAMES, ...stored.keys()])];
        return {
          lists: names.map((name) => {
            const list = stored.get(name);
            return list
              ? {
                  name,
                  version: list.version,
                  entries: list.entries,
                  receivedAt: list.receivedAt,
                  ageMs: Math.max(0, now - list.receivedAt),
                }
              : { name, version: null, entries: 0, receivedAt: null, ageMs: null };
          }),
        };
      },
    }),
    'outbox.status': defineCommand({
      summary: 'Events not yet delivered to central, and how old the oldest of them is.',
      access: 'read',
      args: noArgs,
      run: () => {
        const oldest = deps.outbox.pending(1)[0]?.event;
        return {
          pending: deps.outbox.pendingCount(),
          oldestPendingEventId: oldest?.eventId ?? null,
          oldestPendingAgeMs: oldest ? Math.max(0, deps.clock.now() - oldest.ts) : null,
        };
      },
    }),
  };
}
