import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, configJsonSchemaText } from '../../src/config/json-schema.js';
import { configReferenceMarkdown } from '../../src/config/reference-doc.js';

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8');
const REGENERATE = 'regenerate with `npm run config:schema`';

interface Node {
  type?: string;
  properties?: Record<string, Node>;
  items?: Node;
}

/** Every field path in the schema: `site.id`, `lanes[].camera.url`, ... */
function fieldPaths(node: Node, prefix = ''): string[] {
  const target = node.type === 'array' && node.items?.properties ? node.items : node;
  const base = target === node ? prefix : `${prefix}[]`;
  return Object.entries(target.properties ?? {}).flatMap(([key, child]) => {
    const path = base ? `${base}.${key}` : key;
    return [path, ...fieldPaths(child, path)];
  });
}

describe('config JSON Schema', () => {
  it('matches the committed config/smartgate.schema.json', async () => {
    expect(await read('config/smartgate.schema.json'), REGENERATE).toBe(configJsonSchemaText());
  });

  it('is draft 7, closed to unknown keys and requires only what has no default', () => {
    const schema = configJsonSchema() as unknown as {
      $schema: string;
      additionalProperties: boolean;
      required: string[];
    } & Node;
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['site', 'lanes']);
    const lane = schema.properties!.lanes!.items as Node & { required: string[] };
    expect(lane.required).toEqual(['id', 'direction', 'camera']);
    // Whole numbers are written as integers, with no noise from zod's safe-integer bounds.
    const fps = lane.properties!.camera!.properties!.fps as Record<string, unknown>;
    expect(fps).toMatchObject({ type: 'integer', minimum: 1, maximum: 30, default: 5 });
    expect(fps).not.toHaveProperty('multipleOf');
  });

  it('is named by the example file for editors', async () => {
    const example = await read('config/gate.example.yaml');
    expect(example.split('\n')[0]).toBe('# yaml-language-server: $schema=./smartgate.schema.json');
  });
});

describe('docs/configuration.md', () => {
  it('matches what the generator writes', async () => {
    expect(await read('docs/configuration.md'), REGENERATE).toBe(configReferenceMarkdown());
  });

  it('describes every field of the schema', async () => {
    const doc = await read('docs/configuration.md');
    const paths = fieldPaths(configJsonSchema());
    expect(paths).toContain('lanes[].recognition.motion.minChangedFraction');
    expect(paths.length).toBeGreaterThan(30);
    for (const path of paths) expect(doc, path).toContain(`| \`${path}\` |`);
  });
});
