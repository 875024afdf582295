#!/usr/bin/env node
// Regenerates docs/asyncapi.yaml from the MQTT contract's zod schemas (src/uplink/contract.ts).
// Run with `npm run contract:docs` (it builds first). test/unit/uplink-asyncapi.test.ts fails
// when the committed file differs from what this writes.
import { writeFile } from 'node:fs/promises';

const root = new URL('../', import.meta.url);
const { asyncApiYaml } = await import(new URL('dist/uplink/asyncapi.js', root).href);
await writeFile(new URL('docs/asyncapi.yaml', root), asyncApiYaml());
console.log('wrote docs/asyncapi.yaml');
