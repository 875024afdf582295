import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Service } from '../core/service.js';
import { type TransactionalSink } from '../store/types.js';
import type { CentralKeys, SignatureVerdict } from './central-signature.js';
import type { Reply } from './commands-contract.js';
import { channels } from './contract.js';
import type { InboundOutcome } from './inbound-outcome.js';
import { echo } from './inbound-outcome.js';
import { LogThrottle } from './log-throttle.js';
import type { MqttMessage, ReceivedProperties } from './publisher.js';
import { replyRoute, type ReplyPolicy, type ReplyRoute } from './reply-route.js';
import { commandsFilter, defaultReplyTopic, listsFilter, parseInboundTopic } from '../domain/topics.js';
import { GATE_LANE_ID } from '../domain/lanes.js';

/** What the inbox needs of the MQTT connection. */
export interface InboxConnection {
  onMessage(listener: (topic: string, payload: Buffer, properties: ReceivedProperties) => void): () => void;
  publish(message: MqttMessage, done: (err: Error | null) => void): void;
}

/**
 * Whether the message is central's: its signature, checked when the handler asks (after its size
 * check, before it parses anything), at most once.
 */
export type SignatureCheck = () => SignatureVerdict;

/** A handler of one kind of message (commands, list pushes), by name from the topic. */
export interface InboundHandler {
  handle(name: string, payload: Buffer, signature: SignatureCheck): InboundOutcome;
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
  /** Central's public keys (mqtt.central.keys). */
  keys: CentralKeys;
  /** Where replies may go (mqtt.central.replyPrefix, and the gate's own topics they must avoid). */
  replies: ReplyPolicy;
}

/**
 * Central → gate: routes each message on the gate's command and list topics to its handler,
 * which checks central's signature (the inbox only knows how), records the outcome as an event
 * and replies on the request's MQTT 5 responseTopic with its correlationData, or on
 * `{replyPrefix}/commands|lists/{name}` when it named none. A responseTopic outside the reply
 * prefix, or one of the gate's own topics, gets no reply: anyone who can publish a request could
 * otherwise make the gate publish where they like. A message on any other topic is refused as
 * `wrong-topic` (replied to only on a responseTopic: there is no sane default).
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
    this.unsubscribe ??= this.opts.connection.onMessage((topic, payload, properties) =>
      this.receive(topic, payload, properties),
    );
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
        this.throttled.warn(
          { topic: echo(topic), problem: target.problem },
          'message from central refused: wrong topic',
        );
        // No default reply topic: one derived from a wrong topic would be wrong too.
        this.answer(replyRoute(this.opts.replies, properties.responseTopic, null), properties, {
          reply: { status: 'error', error },
          event: {
            type: 'command',
            laneId: GATE_LANE_ID,
            payload: { name: null, id: null, status: 'error', reason: error.code, message: error.message },
          },
        });
        return;
      }
      const handler = target.kind === 'command' ? this.opts.commands : this.opts.lists;
      let verdict: SignatureVerdict | undefined;
      const signature = () => (verdict ??= this.opts.keys.verify(topic, payload, properties.userProperties));
      const fallback = defaultReplyTopic(this.opts.replies.prefix, target.kind, target.name);
      const route = replyRoute(this.opts.replies, properties.responseTopic, fallback);
      const reply = this.handleRecorded(route, () => handler.handle(target.name, payload, signature));
      if (reply.status === 'error')
        this.throttled.warn(
          { kind: target.kind, name: echo(target.name), ...reply.error },
          `${target.kind} from central refused`,
        );
      else
        this.throttled.info(
          { kind: target.kind, name: echo(target.name), ...(reply.id !== undefined && { id: reply.id }) },
          `${target.kind} from central done`,
        );
      this.send(route, properties, reply);
    } catch (err) {
      this.throttled.error({ err, topic: echo(topic) }, 'message from central not handled');
    }
  }

  /** Records the outcome (noting a refused reply topic in the event), then replies where allowed. */
  private answer(route: ReplyRoute, properties: ReceivedProperties, outcome: InboundOutcome): void {
    this.record(noteRoute(route, outcome));
    this.send(route, properties, outcome.reply);
  }

  /** Replies where the route allows; a refused reply topic is logged (the event notes it). */
  private send(route: ReplyRoute, properties: ReceivedProperties, reply: Reply): void {
    if ('refused' in route)
      this.throttled.warn(
        { responseTopic: echo(properties.responseTopic ?? '') },
        'reply to central not sent: response topic refused',
      );
    if ('topic' in route) this.reply(route.topic, properties.correlationData, reply);
  }

  /**
   * Handles the message and records its outcome in one transaction: the command's id (replay
   * protection), what the handler wrote (an operator's action, a list) and the `command` or
   * `list` event commit together or not at all, and what the handler started (an open) waits
   * for that commit. If it fails nothing is kept: a redelivery runs the message again, and the
   * reply says it failed (a refusal stays that refusal: nothing was done either way).
   */
  private handleRecorded(route: ReplyRoute, handle: () => InboundOutcome): Reply {
    let handled: InboundOutcome | null = null;
    try {
      this.opts.events.transaction(() => {
        handled = handle();
        this.opts.events.append(noteRoute(route, handled).event);
      });
      return handled!.reply;
    } catch (err) {
      this.throttled.error({ err }, 'message from central not recorded: nothing of it was kept');
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
    const message: MqttMessage = {
      topic,
      payload: JSON.stringify(reply),
      qos,
      retain,
      ...(correlationData && { correlationData }),
    };
    this.opts.connection.publish(message, (err) => {
      if (err) this.throttled.warn({ topic: echo(topic), err: err.message }, 'reply to central not sent');
    });
  }
}

/** The outcome's event, noting why the reply was not sent when its topic was refused. */
function noteRoute(route: ReplyRoute, outcome: InboundOutcome): InboundOutcome {
  if (!('refused' in route)) return outcome;
  return {
    ...outcome,
    event: { ...outcome.event, payload: { ...outcome.event.payload, replyRefused: route.refused } },
  };
}
