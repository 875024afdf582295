#!/usr/bin/env node
// Rewrites the generated parts of THIRD-PARTY-NOTICES.md: the npm packages the gate runs, the
// data each model in models/ was trained on, and the JSMpeg player's licence (no build needed).
// Run with `npm run third-party` after changing a dependency or a model;
// test/unit/third-party-notices.test.ts fails when the committed file differs from what this writes.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generatedBlocks, replaceBlocks } from './lib/third-party.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const file = new URL('../THIRD-PARTY-NOTICES.md', import.meta.url);
await writeFile(file, replaceBlocks(await readFile(file, 'utf8'), generatedBlocks(root)));
console.log('wrote THIRD-PARTY-NOTICES.md');
