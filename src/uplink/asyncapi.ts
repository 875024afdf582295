import { stringify } from 'yaml';
import { z } from 'zod';
import { channels } from './contract.js';
import { smartgateVersion } from '../core/version.js';

/**
 * The AsyncAPI 2.6 document of the gate ↔ central contract, generated from `channels` and the
 * same zod schemas the uplink encodes and validates with, so it cannot drift from the wire.
 * Operations are described from the gate's side: `subscribe` = the gate publishes (central
 * subscribes), `publish` = central publishes to the gate.
 */

const PLACEHOLDERS = {
  prefix: '{prefix}',
  siteId: '{siteId}',
  laneId: '{laneId}',
  yardId: '{yardId}',
  name: '{name}',
};

const parameters = {
  prefix: {
    description: 'mqtt.topicPrefix of the gate, by default `smartgate/v1`.',
    schema: { type: 'string', default: 'smartgate/v1' },
  },
  siteId: {
    description: 'site.id of the gate (a slug).',
    schema: { type: 'string', pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$' },
  },
  laneId: {
    description: 'lanes[].id within the gate (a slug); `gate` for site-level events.',
    schema: { type: 'string', pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$' },
  },
  yardId: {
    description: 'yards[].id within the gate (a slug).',
    schema: { type: 'string', pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$' },
  },
  name: { description: 'The command or list name.', schema: { type: 'string' } },
};

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  // Requests are described as central must write them (input); unrepresentable checks become `{}`.
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

function mqttBinding(qos: number, retain: boolean) {
  return { mqtt: { qos, retain, bindingVersion: '0.2.0' } };
}

/** Parameters used in a topic template, in the order they appear. */
function parametersOf(topic: string) {
  const used = [...topic.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as keyof typeof parameters);
  return Object.fromEntries(used.map((p) => [p, parameters[p]]));
}

/** Each channel's topic template: the placeholders its topic function takes after prefix and site. */
const TOPIC_ARGS: { [K in keyof typeof channels]: readonly string[] } = {
  events: [PLACEHOLDERS.laneId],
  status: [],
  gateKey: [],
  laneState: [PLACEHOLDERS.laneId],
  health: [],
  yardState: [PLACEHOLDERS.yardId],
  postcheckSummary: [],
  commands: [PLACEHOLDERS.name],
  lists: [PLACEHOLDERS.name],
};

type AnyChannel = (typeof channels)[keyof typeof channels];

function topicOf(key: keyof typeof channels): string {
  const topic: (prefix: string, siteId: string, ...rest: string[]) => string = channels[key].topic;
  return topic(PLACEHOLDERS.prefix, PLACEHOLDERS.siteId, ...TOPIC_ARGS[key]);
}

export function asyncApiDocument(): Record<string, unknown> {
  const doc: Record<string, Record<string, unknown>> = {};
  for (const key of Object.keys(channels) as (keyof typeof channels)[]) {
    const channel: AnyChannel = channels[key];
    const topic = topicOf(key);
    const message = { name: key, contentType: 'application/json', payload: jsonSchema(channel.schema) };
    const bindings = mqttBinding(channel.qos, channel.retain);
    if (channel.direction === 'gate-to-central') {
      doc[topic] = {
        parameters: parametersOf(topic),
        subscribe: { operationId: `gate-publishes-${key}`, summary: channel.summary, bindings, message },
      };
      continue;
    }
    const { reply } = channel;
    const replyTopic = reply.defaultTopic(PLACEHOLDERS.prefix, PLACEHOLDERS.siteId, PLACEHOLDERS.name);
    doc[topic] = {
      parameters: parametersOf(topic),
      publish: {
        operationId: `central-sends-${key}`,
        summary: channel.summary,
        description:
          'The gate replies on the MQTT 5 responseTopic of the request, with its correlationData, when it lies under mqtt.central.replyPrefix ' +
          `(by default \`{prefix}/{siteId}/replies\`) and is none of the gate's own topics; otherwise it does not reply. Without a responseTopic, on \`${replyTopic}\` (under the default prefix).`,
        bindings,
        message: { ...message, headers: jsonSchema(channel.headers) },
      },
    };
    doc[replyTopic] = {
      parameters: parametersOf(replyTopic),
      description: `Replies to ${key} sent without a responseTopic (under the default mqtt.central.replyPrefix); the same payload goes to a request's responseTopic.`,
      subscribe: {
        operationId: `gate-replies-to-${key}`,
        bindings: mqttBinding(reply.qos, reply.retain),
        message: { name: `${key}-reply`, contentType: 'application/json', payload: jsonSchema(reply.schema) },
      },
    };
  }
  return {
    asyncapi: '2.6.0',
    info: {
      title: 'smartgate: gate ↔ central over MQTT 5',
      version: smartgateVersion(),
      description:
        'Generated from src/uplink/contract.ts by `npm run contract:docs`; do not edit by hand. ' +
        'Prose, delivery guarantees and examples: docs/mqtt.md.',
    },
    defaultContentType: 'application/json',
    channels: doc,
  };
}

export function asyncApiYaml(): string {
  return `# Generated from src/uplink/contract.ts by \`npm run contract:docs\`; do not edit by hand.\n${stringify(asyncApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
