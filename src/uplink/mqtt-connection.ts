import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { backoffDelayMs } from '../core/backoff.js';
import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Service } from '../core/service.js';
import { Listeners } from './listeners.js';
import { mqttClientOptions, type SessionOptions } from './mqtt-options.js';
import type { MqttMessage, Publisher, ReceivedProperties } from './publisher.js';

export interface MqttConnectionOptions extends SessionOptions {
  url: string;
  backoff: { initialMs: number; maxMs: number };
  /** The Last Will, composed afresh for every connection attempt. */
  will?: () => MqttMessage;
  /** Published on every connect (availability `online`). */
  birth?: () => MqttMessage;
  /** Published before a clean disconnect (availability `stopped`). */
  farewell?: () => MqttMessage;
  /** Topic filters subscribed on every connect, at QoS 1 (the consumer side: `smartgate tail`). */
  subscriptions?: string[];
  /** Longest wait in stop() for the farewell's PUBACK and the DISCONNECT; default 3 s. */
  stopTimeoutMs?: number;
}

export interface MqttConnectionContext {
  clock: Clock;
  log: Logger;
  /** mqtt.connect, replaceable only to observe what is passed to it. */
  connect?: (url: string, options: IClientOptions) => MqttClient;
}

export interface MqttConnectionStats {
  connected: boolean;
  connects: number;
  disconnects: number;
  lastError: string | null;
}

/**
 * One MQTT 5 connection with a persistent session, kept up until stop(). Each attempt is a
 * fresh mqtt.js client with its own reconnecting turned off: the wait between attempts doubles
 * from backoff.initialMs to backoff.maxMs on the injected clock (mqtt.js only has a fixed
 * period), and no unacknowledged publish of a dead client is replayed from mqtt.js's memory —
 * the drainer re-reads the outbox instead.
 */
export class MqttConnection implements Publisher, Service {
  readonly name = 'mqtt';
  private client: MqttClient | null = null;
  private running = false;
  private isConnected = false;
  private attempt = 0;
  private reconnectTimer: Timer | null = null;
  private quota: number | undefined;
  private readonly stateListeners = new Listeners<[boolean]>();
  private readonly messageListeners = new Listeners<[string, Buffer, ReceivedProperties]>();
  private readonly subscribedListeners = new Listeners<[string[]]>();
  private readonly counters: MqttConnectionStats = { connected: false, connects: 0, disconnects: 0, lastError: null };

  constructor(
    private readonly ctx: MqttConnectionContext,
    private readonly opts: MqttConnectionOptions,
  ) {}

  get connected(): boolean {
    return this.isConnected && this.client?.connected === true;
  }

  get sendQuota(): number | undefined {
    return this.quota;
  }

  /** Starts connecting and returns at once: the gate runs whether or not central is reachable. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.connectNow();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.reconnectTimer) this.ctx.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const client = this.client;
    if (client) {
      const timeoutMs = this.opts.stopTimeoutMs ?? 3000;
      if (this.connected && this.opts.farewell) {
        const sent = await this.withTimeout(timeoutMs, (done) =>
          this.publish(this.opts.farewell!(), (err) => done(err)),
        );
        if (sent !== null) this.ctx.log.warn({ err: sent }, 'farewell status not acknowledged');
      }
      // A DISCONNECT tells the broker to discard the Will; without one (timeout) it publishes `offline`.
      const ended = await this.withTimeout(timeoutMs, (done) => client.end(false, {}, (err) => done(err ?? null)));
      if (ended !== null) client.end(true);
      this.dropClient(client);
    }
    this.setConnected(false);
    this.stateListeners.clear();
    this.messageListeners.clear();
    this.subscribedListeners.clear();
  }

  publish(message: MqttMessage, done: (err: Error | null) => void): void {
    const client = this.client;
    if (!client || !this.connected) {
      // Never handed to mqtt.js while down: it would queue it in memory.
      queueMicrotask(() => done(new Error('not connected')));
      return;
    }
    this.send(client, message, done);
  }

  private send(client: MqttClient, message: MqttMessage, done: (err: Error | null) => void): void {
    const properties = message.correlationData ? { properties: { correlationData: message.correlationData } } : {};
    client.publish(message.topic, message.payload, { qos: message.qos, retain: message.retain, ...properties }, (err) =>
      done(err ?? null),
    );
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    return this.stateListeners.add(listener);
  }

  /** Every message the subscriptions bring, with the MQTT 5 properties a reply needs. */
  onMessage(listener: (topic: string, payload: Buffer, properties: ReceivedProperties) => void): () => void {
    return this.messageListeners.add(listener);
  }

  /** Called once the broker granted the subscriptions (SUBACK), after every connect. */
  onSubscribed(listener: (filters: string[]) => void): () => void {
    return this.subscribedListeners.add(listener);
  }

  stats(): MqttConnectionStats {
    return { ...this.counters, connected: this.connected };
  }

  private connectNow(): void {
    this.reconnectTimer = null;
    if (!this.running) return;
    const options = mqttClientOptions(this.opts, this.opts.will?.());
    const connect = this.ctx.connect ?? mqtt.connect;
    const client = connect(this.opts.url, options);
    this.client = client;
    client.on('connect', (connack) => {
      if (client !== this.client) return;
      this.attempt = 0;
      this.counters.connects++;
      this.quota = connack.properties?.receiveMaximum;
      this.ctx.log.info({ clientId: this.opts.clientId, sessionPresent: connack.sessionPresent }, 'mqtt connected');
      // Before the connection is announced, so `online` precedes whatever the drainer publishes.
      if (this.opts.birth)
        this.send(client, this.opts.birth(), (err) => err && this.ctx.log.warn({ err }, 'online status not published'));
      if (this.opts.subscriptions?.length) {
        const filters = this.opts.subscriptions;
        client.subscribe(filters, { qos: 1 }, (err) => {
          if (err) this.fail(client, err, 'subscribe failed');
          else if (client === this.client)
            this.subscribedListeners.emit((e) => this.ctx.log.error({ err: e }, 'subscribed listener failed'), filters);
        });
      }
      this.setConnected(true);
    });
    client.on('message', (topic, payload, packet) => {
      if (client !== this.client) return;
      const { responseTopic, correlationData, userProperties } = packet.properties ?? {};
      const properties: ReceivedProperties = {
        ...(typeof responseTopic === 'string' && { responseTopic }),
        ...(Buffer.isBuffer(correlationData) && { correlationData }),
        ...(userProperties && typeof userProperties === 'object' && { userProperties }),
      };
      this.messageListeners.emit(
        (err) => this.ctx.log.error({ err }, 'message listener failed'),
        topic,
        payload,
        properties,
      );
    });
    client.on('error', (err) => this.fail(client, err, 'mqtt error'));
    client.on('close', () => {
      if (client !== this.client) return;
      this.dropClient(client);
      if (this.isConnected) this.counters.disconnects++;
      this.setConnected(false);
      this.scheduleReconnect();
    });
  }

  private fail(client: MqttClient, err: Error, msg: string): void {
    if (client !== this.client) return;
    this.counters.lastError = err.message;
    this.ctx.log.warn({ err: { message: err.message, code: (err as { code?: unknown }).code } }, msg);
  }

  private scheduleReconnect(): void {
    if (!this.running || this.reconnectTimer) return;
    const delay = backoffDelayMs(this.attempt++, this.opts.backoff);
    this.ctx.log.debug({ delayMs: delay, attempt: this.attempt }, 'mqtt reconnecting');
    this.reconnectTimer = this.ctx.clock.setTimeout(() => this.connectNow(), delay);
  }

  /** Forgets a client: its pending callbacks never fire, its stream is destroyed. */
  private dropClient(client: MqttClient): void {
    if (this.client === client) this.client = null;
    client.removeAllListeners();
    client.on('error', () => {}); // a late socket error must not become an uncaught 'error' event
    if (!client.disconnected) client.end(true);
  }

  private setConnected(connected: boolean): void {
    if (this.isConnected === connected) return;
    this.isConnected = connected;
    this.stateListeners.emit((err) => this.ctx.log.error({ err }, 'connection listener failed'), connected);
  }

  /** Runs `start(done)` and resolves with its error (null on success) or a timeout error. */
  private withTimeout(ms: number, start: (done: (err: Error | null) => void) => void): Promise<Error | null> {
    return new Promise((resolve) => {
      let settled = false;
      const timer = this.ctx.clock.setTimeout(() => finish(new Error(`no answer within ${ms} ms`)), ms);
      const finish = (err: Error | null) => {
        if (settled) return;
        settled = true;
        this.ctx.clock.clearTimeout(timer);
        resolve(err);
      };
      start(finish);
    });
  }
}
