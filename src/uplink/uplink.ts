import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Service } from '../core/service.js';
import type { MqttConfig } from '../config/index.js';
import type { Outbox } from '../store/types.js';
import { CentralInbox, type CentralInboxOptions } from './central-inbox.js';
import { CentralKeys } from './central-signature.js';
import { channels, statusMessage, toWireEvent, type StatusState } from './contract.js';
import { Drainer, type DrainerStats } from './drainer.js';
import { MqttConnection, type MqttConnectionStats } from './mqtt-connection.js';
import type { MqttMessage } from './publisher.js';
import { GateKeyPublisher } from './gate-key-publisher.js';
import { defaultReplyPrefix, eventsTopic, gateOwnTopics, statusTopic } from '../domain/topics.js';
import type { GatePublicKey } from '../evidence/gate-key.js';
import type { GateSnapshot } from './contract.js';
import { PostcheckSummaryPublisher, type PostcheckToday } from './postcheck-summary-publisher.js';
import { StatePublisher } from './state-publisher.js';
import { YardStatePublisher, type YardStates } from './yard-state-publisher.js';
import { smartgateVersion } from '../core/version.js';

/**
 * What the gate accepts from the broker at all. Commands and lists over their own limits (16 KB,
 * 256 KB) still arrive and are refused with a reply; far larger packets are dropped by the broker
 * instead of being buffered in the gate's memory.
 */
export const INBOUND_MAX_PACKET_BYTES = 1024 * 1024;

export interface UplinkContext {
  clock: Clock;
  log: Logger;
}

export interface UplinkOptions {
  siteId: string;
  /** This process's boot id (the store's): in the status messages and for events' ageMs. */
  bootId: string;
  outbox: Outbox;
  /** The gate key's public half, published retained on every connect; without it none is. */
  gateKey?: GatePublicKey | null | undefined;
  /** The mqtt config section; the uplink exists only when it has a url. */
  config: MqttConfig & { url: string };
  /** Default: package.json's. */
  version?: string;
  /** Handlers of central's commands and list pushes (see centralHandlers); without them nothing is subscribed. */
  inbound?: Pick<CentralInboxOptions, 'events' | 'commands' | 'lists'> | undefined;
  /** The gate's health and lane states for the retained snapshot topics; without it none are published. */
  snapshot?: (() => GateSnapshot) | undefined;
  /** The gate's yards, for their retained state topics; without them none are published. */
  yards?: YardStates | null | undefined;
  /** The post-check's current day, for its retained summary; without it none is published. */
  postcheck?: PostcheckToday | null | undefined;
}

export interface UplinkStats extends DrainerStats {
  connection: MqttConnectionStats;
}

/**
 * The gate's link to central: one MQTT connection whose availability is published on the
 * status topic (online on every connect, offline as the Last Will, stopped on clean shutdown),
 * and a drainer that forwards the outbox over it.
 */
export class Uplink implements Service {
  readonly name = 'uplink';
  readonly connection: MqttConnection;
  readonly drainer: Drainer;
  /** Central → gate: commands and list pushes; null without inbound handlers. */
  readonly inbox: CentralInbox | null;
  readonly state: StatePublisher | null;
  /** Each yard's retained state; null without yards. Told of changes by yardState.changed(yardId). */
  readonly yardState: YardStatePublisher | null;
  /** The post-check's retained summary; null without a lane on declarations. Told of passages by changed(). */
  readonly postcheckSummary: PostcheckSummaryPublisher | null;
  /** The gate's public key, retained; null without the gate key. */
  readonly gateKey: GateKeyPublisher | null;

  constructor(ctx: UplinkContext, opts: UplinkOptions) {
    const log = ctx.log.child({ module: 'uplink' });
    const { config, siteId, bootId } = opts;
    const version = opts.version ?? smartgateVersion();
    const status = (state: StatusState): MqttMessage => ({
      topic: statusTopic(config.topicPrefix, siteId),
      payload: JSON.stringify(statusMessage(state, bootId, version, ctx.clock.now())),
      qos: channels.status.qos,
      retain: channels.status.retain,
    });
    this.connection = new MqttConnection(
      { clock: ctx.clock, log },
      {
        url: config.url,
        clientId: config.clientId ?? `smartgate-${siteId}`,
        keepaliveSec: config.keepaliveSec,
        sessionExpirySec: config.sessionExpirySec,
        username: config.username,
        password: config.password,
        tls: config.tls,
        backoff: config.backoff,
        will: () => status('offline'),
        birth: () => status('online'),
        farewell: () => status('stopped'),
        ...(opts.inbound && {
          subscriptions: CentralInbox.filters(config.topicPrefix, siteId),
          maxPacketBytes: INBOUND_MAX_PACKET_BYTES,
        }),
      },
    );
    this.inbox = opts.inbound
      ? new CentralInbox(
          { clock: ctx.clock, log },
          {
            topicPrefix: config.topicPrefix,
            siteId,
            connection: this.connection,
            keys: new CentralKeys(config.central.keys),
            replies: {
              prefix: config.central.replyPrefix ?? defaultReplyPrefix(config.topicPrefix, siteId),
              ownTopics: gateOwnTopics(config.topicPrefix, siteId, '+'),
            },
            ...opts.inbound,
          },
        )
      : null;
    this.state = opts.snapshot
      ? new StatePublisher({ clock: ctx.clock, log }, this.connection, {
          prefix: config.topicPrefix,
          siteId,
          intervalMs: config.stateIntervalMs,
          snapshot: opts.snapshot,
        })
      : null;
    this.yardState = opts.yards
      ? new YardStatePublisher({ clock: ctx.clock, log }, this.connection, {
          prefix: config.topicPrefix,
          siteId,
          intervalMs: config.stateIntervalMs,
          yards: opts.yards,
        })
      : null;
    this.postcheckSummary = opts.postcheck
      ? new PostcheckSummaryPublisher({ clock: ctx.clock, log }, this.connection, {
          prefix: config.topicPrefix,
          siteId,
          intervalMs: config.stateIntervalMs,
          postcheck: opts.postcheck,
        })
      : null;
    this.gateKey = opts.gateKey
      ? new GateKeyPublisher({ clock: ctx.clock, log }, this.connection, {
          prefix: config.topicPrefix,
          siteId,
          key: opts.gateKey,
        })
      : null;
    this.drainer = new Drainer({ clock: ctx.clock, log }, opts.outbox, this.connection, {
      maxInFlight: config.maxInFlight,
      encode: (event) => ({
        topic: eventsTopic(config.topicPrefix, event.siteId, event.laneId),
        payload: JSON.stringify(toWireEvent(event, { bootId, monotonicNow: ctx.clock.monotonic() })),
        qos: channels.events.qos,
        retain: channels.events.retain,
      }),
    });
  }

  async start(): Promise<void> {
    // First: on a connect the key goes out before the drainer's events, so a consumer that
    // subscribed to both has it for the first checkpoint.
    await this.gateKey?.start();
    await this.drainer.start();
    await this.state?.start();
    await this.yardState?.start();
    await this.postcheckSummary?.start();
    // Listening before connecting: messages queued in the session arrive right after CONNACK.
    await this.inbox?.start();
    await this.connection.start();
  }

  /** Stops publishing, then says `stopped` and disconnects cleanly (so the Will is not sent). */
  async stop(): Promise<void> {
    await this.postcheckSummary?.stop();
    await this.yardState?.stop();
    await this.state?.stop();
    await this.drainer.stop();
    await this.connection.stop();
    await this.inbox?.stop();
    await this.gateKey?.stop();
  }

  stats(): UplinkStats {
    return { ...this.drainer.stats(), connection: this.connection.stats() };
  }
}

/** An Uplink when the config names a broker, else null (the gate runs without one). */
export function createUplink(
  ctx: UplinkContext,
  opts: Omit<UplinkOptions, 'config'> & { config: MqttConfig | undefined },
): Uplink | null {
  const url = opts.config?.url;
  if (!opts.config || !url) return null;
  return new Uplink(ctx, { ...opts, config: { ...opts.config, url } });
}
