import type { Clock } from '../core/clock.js';
import type { MqttCommandsConfig } from '../config/index.js';
import type { CommandLog } from '../store/command-log.js';
import type { ListStore } from '../store/lists.js';
import type { Outbox, TransactionalSink } from '../store/types.js';
import type { CentralInboxOptions } from './central-inbox.js';
import { CommandRouter } from './command-router.js';
import { gateCommands } from './gate-commands.js';
import { laneCommands, type LaneControl } from './lane-commands.js';
import { ListReceiver } from './list-receiver.js';
import { yardCommands, type YardControl } from './yard-commands.js';
import { smartgateVersion } from '../core/version.js';

export interface CentralHandlerDeps {
  clock: Clock;
  bootId: string;
  /** The configured lanes, which a command may name. */
  laneIds: readonly string[];
  config: MqttCommandsConfig;
  store: { events: TransactionalSink & Outbox; lists: ListStore; commandIds: CommandLog };
  /** The lanes central's lane commands act on (hold.confirm, barrier.open...). */
  lanes?: readonly LaneControl[];
  /** The yards central's yard commands act on (yard.call, yard.correct...); null: the gate has none. */
  yards?: YardControl | null;
  /** Default: package.json's. */
  version?: string;
}

/** The handlers of central's commands and list pushes over the gate's store: what the Uplink's inbox routes to. */
export function centralHandlers(deps: CentralHandlerDeps): Pick<CentralInboxOptions, 'events' | 'commands' | 'lists'> {
  const { clock, store } = deps;
  const commands = {
    ...gateCommands({
      clock,
      bootId: deps.bootId,
      version: deps.version ?? smartgateVersion(),
      lists: store.lists,
      outbox: store.events,
    }),
    ...laneCommands(deps.lanes ?? []),
    ...yardCommands(deps.yards ?? null),
  };
  return {
    events: store.events,
    commands: new CommandRouter({ clock }, { commands, seen: store.commandIds, laneIds: deps.laneIds, ...deps.config }),
    lists: new ListReceiver(store.lists),
  };
}
