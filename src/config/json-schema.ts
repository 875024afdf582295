import { z } from 'zod';
import { configSchema } from './schema.js';

/**
 * JSON Schema of the config file as written (defaults optional), for editors: the example
 * file points yaml-language-server at the committed copy, config/smartgate.schema.json.
 * Draft 7 because that is what editor YAML/JSON services support best.
 */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, {
    io: 'input',
    target: 'draft-7',
    override: ({ jsonSchema }) => {
      // Whole numbers are `multipleOf(1)` in the schema (see fields.ts); editors know "integer".
      if (jsonSchema.type === 'number' && jsonSchema.multipleOf === 1) {
        jsonSchema.type = 'integer';
        delete jsonSchema.multipleOf;
      }
    },
  });
}

/** The committed file's exact text. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
