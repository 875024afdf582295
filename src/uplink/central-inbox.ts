import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Service } from '../core/service.js';
import { GATE_LANE_ID, type TransactionalSink } from '../store/types.js';
import type { Reply } from './commands-contract.js';
import { channels } from './contract.js';
import type { InboundOutcome } from './inbound-outcome.js';
import { echo } from './inbound-outcome.js';
import { LogThrottle } from './log-throttle.js';
import type { MqttMessage, ReceivedProperties } from './publisher.js';
import { commandsFilter, defaultResponseTopic, listsFilter, parseInboundTopic } from './topics.js';

/** What the inbox needs of the MQTT connection. */
export interface InboxConnection {
  onMessage(listener: (topic: string, payload: Buffer, properties: ReceivedProperties) => void): () => void;
  publish(message: MqttMessage, done: (err: Error | null) => void): void;
}

/** A handler of one kind of message (commands, list pushes), by name from the topic. */
export interface InboundHandler {
  handle(name: string, payload: Buffer): InboundOutcome;
}

export interface CentralInboxOptions {
  topicPrefix: string;
  siteId: string;
  connection: InboxConnection;
  /**
   * Every outcome is recorded here, so the outbox carries it to central, in one transaction with
   * what handling the message wrote (the command's id, an operator's action, a list).
   */
  events: TransactionalSink;
  commands: InboundHandler;
  lists: InboundHandler;
}

/**
 * Central → gate: routes each message on the gate's command and list topics to its handler,
 * records the outcome as an event and replies on the request's MQTT 5 responseTopic with its
 * correlationData, or on `{topic}/response` when it named none. A message on any other topic
 * is refused as `wrong-topic` (replied to only on a responseTopic: there is no sane default).
 * Handling is synchronous, so it is done before mqtt.js acknowledges the message.
 */
export class CentralInbox implements Service {
  readonly name = 'central-inbox';
  private unsubscribe: (() => void) | null = null;
  private readonly throttled: LogThrottle;

  constructor(
    ctx: { clock: Clock; log: Logger },
    private readonly opts: CentralInboxOptions,
  ) {
    this.throttled = new LogThrottle(ctx.clock, ctx.log);
  }

  /** The topic filters the connection subscribes to, at QoS 1, on every connect. */
  static filters(topicPrefix: string, siteId: string): string[] {
    return [commandsFilter(topicPrefix, siteId), listsFilter(topicPrefix, siteId)];
  }

  async start(): Promise<void> {
    this.unsubscribe ??= this.opts.connection.onMessage((topic, payload, properties) => this.receive(topic, payload, properties));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Handles one message; never throws (a failure is logged and the message is dropped). */
  receive(topic: string, payload: Buffer, properties: ReceivedProperties): void {
    try {
      const target = parseInboundTopic(this.opts.topicPrefix, this.opts.siteId, topic);
      if ('problem' in target) {
        const error = { code: 'wrong-topic' as const, message: `${target.problem} (topic ${echo(topic)})` };
        this.record({
          reply: { status: 'error', error },
          event: { type: 'command', laneId: GATE_LANE_ID, payload: { name: null, id: null, status: 'error', reason: error.code, message: error.message } },
        });
        this.throttled.warn({ topic: echo(topic), problem: target.problem }, 'message from central refused: wrong topic');
        // No default reply topic: one derived from a wrong topic would be wrong too.
        if (properties.responseTopic) this.reply(properties.responseTopic, properties.correlationData, { status: 'error', error });
        return;
      }
      const handler = target.kind === 'command' ? this.opts.commands : this.opts.lists;
      const reply = this.handleRecorded(handler, target.name, payload);
      if (reply.status === 'error') this.throttled.warn({ kind: target.kind, name: echo(target.name), ...reply.error }, `${target.kind} from central refused`);
      else this.throttled.info({ kind: target.kind, name: echo(target.name), ...(reply.id !== undefined && { id: reply.id }) }, `${target.kind} from central done`);
      // An empty responseTopic is no topic at all: answer on the default one.
      this.reply(properties.responseTopic || defaultResponseTopic(topic), properties.correlationData, reply);
    } catch (err) {
      this.throttled.error({ err, topic: echo(topic) }, 'message from central not handled');
    }
  }

  /**
   * Handles the message and records its outcome in one transaction: the command's id (replay
   * protection), what the handler wrote (an operator's action, a list) and the `command` or
   * `list` event commit together or not at all, and what the handler started (an open) waits
   * for that commit. If it fails nothing is kept: a redelivery runs the message again, and the
   * reply says it failed (a refusal stays that refusal: nothing was done either way).
   */
  private handleRecorded(handler: InboundHandler, name: string, payload: Buffer): Reply {
    let handled: InboundOutcome | null = null;
    try {
      this.opts.events.transaction(() => {
        handled = handler.handle(name, payload);
        this.opts.events.append(handled.event);
      });
      return handled!.reply;
    } catch (err) {
      this.throttled.error({ err, name: echo(name) }, 'message from central not recorded: nothing of it was kept');
      const reply: Reply | undefined = (handled as InboundOutcome | null)?.reply;
      if (reply?.status === 'error') return reply;
      const message = `not recorded, so not done: ${(err as Error).message}`;
      return { status: 'error', ...(reply?.id !== undefined && { id: reply.id }), error: { code: 'failed', message } };
    }
  }

  private record(outcome: InboundOutcome): void {
    try {
      this.opts.events.append(outcome.event);
    } catch (err) {
      this.throttled.error({ err, event: outcome.event.type }, 'outcome of a message from central not recorded');
    }
  }

  private reply(topic: string, correlationData: Buffer | undefined, reply: Reply): void {
    const { qos, retain } = channels.commands.reply;
    const message: MqttMessage = { topic, payload: JSON.stringify(reply), qos, retain, ...(correlationData && { correlationData }) };
    this.opts.connection.publish(message, (err) => {
      if (err) this.throttled.warn({ topic: echo(topic), err: err.message }, 'reply to central not sent');
    });
  }
}
