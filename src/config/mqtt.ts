import { z } from 'zod';
import { integer, nonEmptyString, positiveMs } from './fields.js';
import { backoffInverted, reportProblems } from './rules.js';
import { secret } from './secrets.js';

export const MQTT_URL_SCHEME = /^(mqtts?|wss?):\/\/[^/]+/;

/** A default topic prefix; lowercase segments joined by `/`, no wildcards. */
const TOPIC_PREFIX = /^[a-z0-9_-]+(\/[a-z0-9_-]+)*$/;

export const mqttTlsSchema = z
  .strictObject({
    ca: nonEmptyString().optional().describe('PEM file of the CA that signed the broker certificate. Default: the system CAs.'),
    cert: nonEmptyString().optional().describe('PEM file of this gate\'s client certificate (with `key`), when the broker requires one.'),
    key: nonEmptyString().optional().describe('PEM file of the private key of `cert`.'),
    rejectUnauthorized: z
      .boolean()
      .default(true)
      .describe('Refuse a broker whose certificate does not verify. Only for a test bench: never false at a gate.'),
  })
  .prefault({})
  .describe('TLS files for `mqtts://` or `wss://` URLs (paths are read at connect).');

export const mqttBackoffSchema = z
  .strictObject({
    initialMs: positiveMs().default(1000).describe('Wait before the first reconnect attempt, in ms.'),
    maxMs: positiveMs()
      .default(60_000)
      .describe('Longest wait between reconnect attempts, in ms; the wait doubles up to this.'),
  })
  .superRefine((backoff, ctx) => reportProblems(ctx, backoffInverted(backoff)))
  .prefault({})
  .describe('How long to wait before reconnecting to the broker after the connection failed or dropped.');

export const mqttCommandsSchema = z
  .strictObject({
    maxAgeMs: positiveMs()
      .default(300_000)
      .describe('A command whose `ts` is older than this (ms, by the gate\'s clock) is refused as expired.'),
    maxFutureMs: positiveMs()
      .default(60_000)
      .describe('A command whose `ts` is further ahead of the gate\'s clock than this (ms) is refused: clock skew tolerance.'),
  })
  .prefault({})
  .describe('Commands from central: how old, or how far ahead of the gate\'s clock, a command may be (replayed ids are refused for as long).');

export const mqttSchema = z
  .strictObject({
    url: z
      .string()
      .regex(MQTT_URL_SCHEME, { error: 'expected mqtt://HOST[:PORT], mqtts://, ws:// or wss://' })
      .optional()
      .describe('Central\'s MQTT broker, e.g. `mqtts://central.example.vn:8883`. Leave out to run without an uplink (events are still recorded).'),
    clientId: nonEmptyString()
      .max(128)
      .optional()
      .describe('MQTT client id; fixed so the broker keeps this gate\'s session across reconnects. Default: `smartgate-{site.id}`.'),
    topicPrefix: z
      .string()
      .regex(TOPIC_PREFIX, { error: 'expected topic levels of lowercase letters, digits, _ and -, joined by / (e.g. smartgate/v1)' })
      .default('smartgate/v1')
      .describe('First levels of every topic: `{topicPrefix}/{site.id}/{lane}/events`, `{topicPrefix}/{site.id}/status`.'),
    keepaliveSec: integer()
      .min(5)
      .max(600)
      .default(15)
      .describe('MQTT keepalive in seconds: a dead link is noticed after about 1.5 times this.'),
    sessionExpirySec: integer()
      .min(0)
      .max(4_294_967_295)
      .default(7 * 24 * 3600)
      .describe('How long (s) the broker keeps this gate\'s session after a disconnect (MQTT 5 session expiry).'),
    username: nonEmptyString().optional().describe('User name for the broker, if it asks for one.'),
    password: secret().optional().describe('Password for the broker; never logged, nor printed in a config error.'),
    tls: mqttTlsSchema,
    backoff: mqttBackoffSchema,
    maxInFlight: integer()
      .min(1)
      .max(65_535)
      .default(64)
      .describe('Events published but not yet acknowledged (PUBACK), at most; the broker\'s Receive Maximum lowers it.'),
    stateIntervalMs: positiveMs()
      .default(15_000)
      .describe('How often (ms) the retained health and lane-state snapshots are replaced while connected (also on every connect).'),
    commands: mqttCommandsSchema,
  })
  // Optional as a whole: no section (or no url) means no uplink, and the parsed config says so.
  .optional()
  .describe('The uplink to central: events are forwarded from the outbox to this MQTT broker, in order, at QoS 1. Leave out to run without one.');

export type MqttConfig = NonNullable<z.infer<typeof mqttSchema>>;
export type MqttTlsConfig = z.infer<typeof mqttTlsSchema>;
export type MqttCommandsConfig = z.infer<typeof mqttCommandsSchema>;
