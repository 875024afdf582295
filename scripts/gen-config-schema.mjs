#!/usr/bin/env node
// Regenerates config/smartgate.schema.json and docs/configuration.md from the zod schemas.
// Run with `npm run config:schema` (it builds first).
// test/unit/config-schema.test.ts fails when the committed files differ from what this writes.
import { writeFile } from 'node:fs/promises';

const root = new URL('../', import.meta.url);
const { configJsonSchemaText } = await import(new URL('dist/config/json-schema.js', root).href);
const { configReferenceMarkdown } = await import(new URL('dist/config/reference-doc.js', root).href);

const outputs = [
  ['config/smartgate.schema.json', configJsonSchemaText()],
  ['docs/configuration.md', configReferenceMarkdown()],
];
for (const [path, text] of outputs) {
  await writeFile(new URL(path, root), text);
  console.log(`wrote ${path}`);
}
