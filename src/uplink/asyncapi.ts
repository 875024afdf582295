import { stringify } from 'yaml';
import { z } from 'zod';
import { channels } from './contract.js';
import { smartgateVersion } from './version.js';

/**
 * The AsyncAPI 2.6 document of the gate ↔ central contract, generated from `channels` and the
 * same zod schemas the uplink encodes and validates with, so it cannot drift from the wire.
 * Operations are described from the gate's side: `subscribe` = the gate publishes (central
 * subscribes), `publish` = central publishes to the gate.
 */

const PLACEHOLDERS = { prefix: '{prefix}', siteId: '{siteId}', laneId: '{laneId}', name: '{name}' };

const parameters = {
  prefix: { description: 'mqtt.topicPrefix of the gate, by default `smartgate/v1`.', schema: { type: 'string', default: 'smartgate/v1' } },
  siteId: { description: 'site.id of the gate (a slug).', schema: { type: 'string', pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$' } },
  laneId: { description: 'lanes[].id within the gate (a slug); `gate` for site-level events.', schema: { type: 'string', pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$' } },
  name: { description: 'The command or list name.', schema: { type: 'string' } },
};

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  // Requests are described as central must write them (input); unrepresentable checks become `{}`.
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
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

export function asyncApiDocument(): Record<string, unknown> {
  const doc: Record<string, Record<string, unknown>> = {};
  const { events, status, commands, lists } = channels;
  const gatePublishes = [
    ['events', events.topic(PLACEHOLDERS.prefix, PLACEHOLDERS.siteId, PLACEHOLDERS.laneId), events],
    ['status', status.topic(PLACEHOLDERS.prefix, PLACEHOLDERS.siteId), status],
  ] as const;
  for (const [name, topic, channel] of gatePublishes) {
    doc[topic] = {
      parameters: parametersOf(topic),
      subscribe: {
        operationId: `gate-publishes-${name}`,
        summary: channel.summary,
        bindings: mqttBinding(channel.qos, channel.retain),
        message: { name, contentType: 'application/json', payload: jsonSchema(channel.schema) },
      },
    };
  }
  const centralSends = [
    ['command', commands.topic(PLACEHOLDERS.prefix, PLACEHOLDERS.siteId, PLACEHOLDERS.name), commands],
    ['list', lists.topic(PLACEHOLDERS.prefix, PLACEHOLDERS.siteId, PLACEHOLDERS.name), lists],
  ] as const;
  for (const [name, topic, channel] of centralSends) {
    doc[topic] = {
      parameters: parametersOf(topic),
      publish: {
        operationId: `central-sends-${name}`,
        summary: channel.summary,
        description:
          'The gate replies on the MQTT 5 responseTopic of the request, with its correlationData; ' +
          `without a responseTopic, on \`${channel.reply.defaultTopic(topic)}\`.`,
        bindings: mqttBinding(channel.qos, channel.retain),
        message: { name, contentType: 'application/json', payload: jsonSchema(channel.schema) },
      },
    };
    const replyTopic = channel.reply.defaultTopic(topic);
    doc[replyTopic] = {
      parameters: parametersOf(replyTopic),
      description: `Replies to ${name}s sent without a responseTopic; the same payload goes to a request's responseTopic.`,
      subscribe: {
        operationId: `gate-replies-to-${name}`,
        bindings: mqttBinding(channel.reply.qos, channel.reply.retain),
        message: { name: `${name}-reply`, contentType: 'application/json', payload: jsonSchema(channel.reply.schema) },
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
