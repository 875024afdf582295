import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import type { MqttTlsConfig } from '../config/index.js';
import type { MqttMessage } from './publisher.js';

export interface SessionOptions {
  clientId: string;
  keepaliveSec: number;
  sessionExpirySec: number;
  username?: string | undefined;
  password?: string | undefined;
  tls?: MqttTlsConfig | undefined;
  /** MQTT 5 Maximum Packet Size: the broker drops (never sends) a larger packet to this client. */
  maxPacketBytes?: number | undefined;
}

/**
 * mqtt.js options for one connection attempt: MQTT 5, a persistent session under a fixed
 * client id, and none of mqtt.js's own reconnecting or offline queueing (reconnectPeriod 0,
 * queueQoSZero false): MqttConnection reconnects with back-off, and the outbox is the only store.
 */
export function mqttClientOptions(
  session: SessionOptions,
  will?: MqttMessage,
  readFile: (path: string) => Buffer = readFileSync,
): IClientOptions {
  const options: IClientOptions = {
    protocolVersion: 5,
    clientId: session.clientId,
    clean: false,
    keepalive: session.keepaliveSec,
    properties: {
      sessionExpiryInterval: session.sessionExpirySec,
      ...(session.maxPacketBytes !== undefined && { maximumPacketSize: session.maxPacketBytes }),
    },
    reconnectPeriod: 0,
    queueQoSZero: false,
    // A broker that accepts TCP but never answers CONNECT is a failed attempt too.
    connectTimeout: Math.max(5, 2 * session.keepaliveSec) * 1000,
  };
  if (session.username !== undefined) options.username = session.username;
  if (session.password !== undefined) options.password = session.password;
  const tls = session.tls;
  if (tls) {
    if (tls.ca) options.ca = readFile(tls.ca);
    if (tls.cert) options.cert = readFile(tls.cert);
    if (tls.key) options.key = readFile(tls.key);
    options.rejectUnauthorized = tls.rejectUnauthorized;
  }
  if (will)
    options.will = { topic: will.topic, payload: Buffer.from(will.payload), qos: will.qos, retain: will.retain };
  return options;
}
