import { z } from 'zod';
import { parsePublicKey } from '../core/signing-key.js';
import { integer, nonEmptyString, positiveMs } from './fields.js';
import { actuatingAgeAboveMaxAge, backoffInverted, duplicateKeyIds, reportProblems } from './rules.js';
import { secret } from './secrets.js';

export const MQTT_URL_SCHEME = /^(mqtts?|wss?):\/\/[^/]+/;

/** A default topic prefix; lowercase segments joined by `/`, no wildcards. */
const TOPIC_PREFIX = /^[a-z0-9_-]+(\/[a-z0-9_-]+)*$/;

export const mqttTlsSchema = z
  .strictObject({
    ca: nonEmptyString()
      .optional()
      .describe('PEM file of the CA that signed the broker certificate. Default: the system CAs.'),
    cert: nonEmptyString()
      .optional()
      .describe("PEM file of this gate's client certificate (with `key`), when the broker requires one."),
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
      .describe("A command whose `ts` is older than this (ms, by the gate's clock) is refused as expired."),
    actuatingMaxAgeMs: positiveMs()
      .default(15_000)
      .describe(
        'The age limit of the commands that open a barrier (`barrier.open`, `hold.confirm`), at most maxAgeMs: one queued at the broker while the gate was down must not open the barrier long after the operator asked. They must also carry an `expiresAt` at most this long after their `ts`.',
      ),
    maxFutureMs: positiveMs()
      .default(60_000)
      .describe(
        "A command whose `ts` is further ahead of the gate's clock than this (ms) is refused: clock skew tolerance.",
      ),
    acceptUnsignedReadOnly: z
      .boolean()
      .default(false)
      .describe(
        "Run the read-only commands (`ping`, `lists.status`, `outbox.status`, `lane.holds`, `yard.status`) without a valid signature of central's. Off: every command must be signed. Never applies to commands that change or open anything, nor to list pushes.",
      ),
  })
  .superRefine((commands, ctx) => reportProblems(ctx, actuatingAgeAboveMaxAge(commands)))
  .prefault({})
  .describe(
    "Commands from central: how old, or how far ahead of the gate's clock, a command may be (replayed ids are refused for as long), and whether read-only ones need a signature.",
  );

/** A key id names the key in the `kid` user property: short, no spaces. */
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export const mqttCentralKeySchema = z.strictObject({
  id: z
    .string()
    .regex(KEY_ID, { error: 'expected a key id: 1..64 letters, digits, dots, dashes or underscores' })
    .describe("The key's id, as central sends it in the `kid` user property (e.g. `central-2026`)."),
  publicKey: z
    .string()
    .superRefine((text, ctx) => {
      try {
        parsePublicKey(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    })
    .describe(
      "Central's Ed25519 public key: SPKI PEM (`openssl pkey -pubout`) or its DER in base64 on one line (`smartgate sign keygen` prints one).",
    ),
});

/** Topic levels without wildcards, empty levels or a leading `$` (the broker's own topics). */
// eslint-disable-next-line no-control-regex -- U+0000 is in the classes on purpose: MQTT forbids it in a topic.
const REPLY_PREFIX = /^[^/+#$\u0000][^/+#\u0000]*(\/[^/+#\u0000]+)*$/;

export const mqttCentralSchema = z
  .strictObject({
    keys: z
      .array(mqttCentralKeySchema)
      .max(16)
      .default([])
      .superRefine((keys, ctx) => reportProblems(ctx, duplicateKeyIds(keys)))
      .describe(
        "Central's public keys: a command or list push must be signed by one of them (docs/mqtt.md#signatures). Several while a key is rotated: add the new one, then drop the old once central signs with the new. Without any, central's list pushes and commands are refused (`no-central-key`).",
      ),
    replyPrefix: z
      .string()
      .max(256)
      .regex(REPLY_PREFIX, {
        error: 'expected topic levels joined by /, without + or # or empty levels, not starting with $',
      })
      .optional()
      .describe(
        "Replies go only to topics under this prefix: a request's responseTopic elsewhere gets no reply (the outcome is still recorded). Must not overlap a topic the gate publishes or subscribes to. Default: `{topicPrefix}/{site.id}/replies`.",
      ),
  })
  .prefault({})
  .describe(
    'Who central is: the keys its commands and lists are signed with, and where the gate may send its replies.',
  );

export const mqttSchema = z
  .strictObject({
    url: z
      .string()
      .regex(MQTT_URL_SCHEME, { error: 'expected mqtt://HOST[:PORT], mqtts://, ws:// or wss://' })
      .optional()
      .describe(
        "Central's MQTT broker, e.g. `mqtts://central.example.vn:8883`. Leave out to run without an uplink (events are still recorded).",
      ),
    clientId: nonEmptyString()
      .max(128)
      .optional()
      .describe(
        "MQTT client id; fixed so the broker keeps this gate's session across reconnects. Default: `smartgate-{site.id}`.",
      ),
    topicPrefix: z
      .string()
      .regex(TOPIC_PREFIX, {
        error: 'expected topic levels of lowercase letters, digits, _ and -, joined by / (e.g. smartgate/v1)',
      })
      .default('smartgate/v1')
      .describe(
        'First levels of every topic: `{topicPrefix}/{site.id}/{lane}/events`, `{topicPrefix}/{site.id}/status`.',
      ),
    keepaliveSec: integer()
      .min(5)
      .max(600)
      .default(15)
      .describe('MQTT keepalive in seconds: a dead link is noticed after about 1.5 times this.'),
    sessionExpirySec: integer()
      .min(0)
      .max(4_294_967_295)
      .default(7 * 24 * 3600)
      .describe("How long (s) the broker keeps this gate's session after a disconnect (MQTT 5 session expiry)."),
    username: nonEmptyString().optional().describe('User name for the broker, if it asks for one.'),
    password: secret().optional().describe('Password for the broker; never logged, nor printed in a config error.'),
    tls: mqttTlsSchema,
    backoff: mqttBackoffSchema,
    maxInFlight: integer()
      .min(1)
      .max(65_535)
      .default(64)
      .describe("Events published but not yet acknowledged (PUBACK), at most; the broker's Receive Maximum lowers it."),
    stateIntervalMs: positiveMs()
      .default(15_000)
      .describe(
        'How often (ms) the retained health, lane-state and yard-state snapshots are replaced while connected (also on every connect).',
      ),
    commands: mqttCommandsSchema,
    central: mqttCentralSchema,
  })
  // Optional as a whole: no section (or no url) means no uplink, and the parsed config says so.
  .optional()
  .describe(
    'The uplink to central: events are forwarded from the outbox to this MQTT broker, in order, at QoS 1. Leave out to run without one.',
  );

export type MqttConfig = NonNullable<z.infer<typeof mqttSchema>>;
export type MqttTlsConfig = z.infer<typeof mqttTlsSchema>;
export type MqttCommandsConfig = z.infer<typeof mqttCommandsSchema>;
export type MqttCentralConfig = z.infer<typeof mqttCentralSchema>;
