import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { asyncApiDocument, asyncApiYaml } from '../../src/uplink/asyncapi.js';
import { commandRequestSchema, REFUSAL_CODES, replySchema } from '../../src/uplink/commands-contract.js';
import {
  channels,
  gateKeySchema,
  healthSchema,
  laneStateSchema,
  postcheckSummarySchema,
  postcheckTotalsSchema,
  statusSchema,
  wireEventSchema,
  yardStateSchema,
} from '../../src/uplink/contract.js';

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8');

interface JsonSchema {
  properties?: Record<string, unknown>;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

interface Operation {
  message: { payload: JsonSchema };
  bindings: { mqtt: { qos: number; retain: boolean } };
}

/** Property names of an object schema, or of every branch of a union. */
function propertyNames(schema: JsonSchema): string[] {
  const branches = schema.anyOf ?? schema.oneOf ?? [schema];
  return [...new Set(branches.flatMap((b) => Object.keys(b.properties ?? {})))].sort();
}

/** Field names of a zod object, or of every branch of a discriminated union. */
function fieldNames(schema: z.ZodType): string[] {
  const branches =
    schema instanceof z.ZodDiscriminatedUnion ? (schema.options as z.ZodObject[]) : [schema as z.ZodObject];
  return [...new Set(branches.flatMap((b) => Object.keys(b.shape)))].sort();
}

describe('docs/asyncapi.yaml', () => {
  it('is what the contract generates (regenerate with `npm run contract:docs`)', async () => {
    expect(await read('docs/asyncapi.yaml')).toBe(asyncApiYaml());
  });

  it('has one channel per contract channel, with its QoS, retain flag and every payload field', () => {
    const doc = parse(asyncApiYaml()) as {
      asyncapi: string;
      channels: Record<string, { subscribe?: Operation; publish?: Operation }>;
    };
    expect(doc.asyncapi).toBe('2.6.0');
    const op = (topic: string) => {
      const channel = doc.channels[topic]!;
      return (channel.subscribe ?? channel.publish)!;
    };
    expect(propertyNames(op('{prefix}/{siteId}/{laneId}/events').message.payload)).toEqual(fieldNames(wireEventSchema));
    expect(op('{prefix}/{siteId}/{laneId}/events').bindings.mqtt).toMatchObject({
      qos: channels.events.qos,
      retain: false,
    });
    expect(op('{prefix}/{siteId}/status').bindings.mqtt).toMatchObject({ qos: channels.status.qos, retain: true });
    expect(op('{prefix}/{siteId}/key').bindings.mqtt).toMatchObject({ qos: channels.gateKey.qos, retain: true });
    expect(propertyNames(op('{prefix}/{siteId}/key').message.payload)).toEqual(fieldNames(gateKeySchema));
    expect(propertyNames(op('{prefix}/{siteId}/commands/{name}').message.payload)).toEqual(
      fieldNames(commandRequestSchema),
    );
    expect(propertyNames(op('{prefix}/{siteId}/replies/commands/{name}').message.payload)).toEqual(
      fieldNames(replySchema),
    );
    expect(propertyNames(op('{prefix}/{siteId}/health').message.payload)).toEqual(fieldNames(healthSchema));
    expect(op('{prefix}/{siteId}/{laneId}/state').bindings.mqtt).toMatchObject({ qos: 0, retain: true });
    expect(propertyNames(op('{prefix}/{siteId}/{laneId}/state').message.payload)).toEqual(fieldNames(laneStateSchema));
    expect(op('{prefix}/{siteId}/yards/{yardId}/state').bindings.mqtt).toMatchObject({ qos: 0, retain: true });
    expect(propertyNames(op('{prefix}/{siteId}/yards/{yardId}/state').message.payload)).toEqual(
      fieldNames(yardStateSchema),
    );
    expect(op('{prefix}/{siteId}/postcheck/summary').bindings.mqtt).toMatchObject({ qos: 0, retain: true });
    expect(propertyNames(op('{prefix}/{siteId}/postcheck/summary').message.payload)).toEqual(
      fieldNames(postcheckSummarySchema),
    );
    expect(doc.channels['{prefix}/{siteId}/lists/{name}']!.publish).toBeDefined();
    // Requests carry central's signature as MQTT 5 user properties.
    const headers = (topic: string) => (op(topic).message as { headers?: JsonSchema }).headers;
    expect(propertyNames(headers('{prefix}/{siteId}/commands/{name}')!)).toEqual(['kid', 'sig']);
    expect(propertyNames(headers('{prefix}/{siteId}/lists/{name}')!)).toEqual(['kid', 'sig']);
    // Every channel, plus a reply channel for each request channel.
    const requests = Object.values(channels).filter((c) => c.direction === 'central-to-gate').length;
    expect(Object.keys(asyncApiDocument().channels as object)).toHaveLength(Object.keys(channels).length + requests);
  });
});

describe('docs/mqtt.md', () => {
  it('names every topic, every envelope field and every refusal code of the contract', async () => {
    const doc = await read('docs/mqtt.md');
    const topics = [
      '{prefix}/{site}/{lane}/events',
      '{prefix}/{site}/status',
      '{prefix}/{site}/health',
      '{prefix}/{site}/key',
      '{prefix}/{site}/{lane}/state',
      '{prefix}/{site}/yards/{yard}/state',
      '{prefix}/{site}/postcheck/summary',
    ];
    for (const topic of [...topics, '{prefix}/{site}/commands/{name}', '{prefix}/{site}/lists/{list}']) {
      expect(doc, topic).toContain(`\`${topic}\``);
    }
    const fields = [
      wireEventSchema,
      statusSchema,
      healthSchema,
      gateKeySchema,
      laneStateSchema,
      yardStateSchema,
      postcheckSummarySchema,
      postcheckTotalsSchema,
      commandRequestSchema,
      replySchema,
    ].flatMap(fieldNames);
    for (const field of fields) expect(doc, field).toContain(`\`${field}\``);
    for (const code of REFUSAL_CODES) expect(doc, code).toContain(`\`${code}\``);
  });
});
