/** One MQTT message as the uplink sends it. */
export interface MqttMessage {
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
  /** MQTT 5 correlation data, copied from the request a reply answers. */
  correlationData?: Buffer;
}

/** MQTT 5 properties of a received message that a reply, and central's signature, need. */
export interface ReceivedProperties {
  responseTopic?: string;
  correlationData?: Buffer;
  /** User properties; a name given twice is an array (central's `sig` and `kid`). */
  userProperties?: Readonly<Record<string, string | string[]>>;
}

/**
 * What the drainer needs from a connection, and all it may assume: publish only while
 * connected, learn of every connect and disconnect. The MQTT implementation is
 * MqttConnection; unit tests use a scripted fake.
 */
export interface Publisher {
  readonly connected: boolean;
  /** The broker's Receive Maximum from CONNACK (unacknowledged QoS 1 it accepts), if it sent one. */
  readonly sendQuota: number | undefined;
  /** `done(null)` once the broker acknowledged (PUBACK for QoS 1); `done(err)` if it refused or the link is down. */
  publish(message: MqttMessage, done: (err: Error | null) => void): void;
  onConnectionChange(listener: (connected: boolean) => void): () => void;
}
