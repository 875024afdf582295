#!/usr/bin/env node
// Redraws the folder graph in docs/architecture.md from the code's imports (no build needed).
// Run with `npm run architecture`; test/unit/architecture.test.ts fails when the drawing is
// behind the code or the graph has a cycle.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { cycles, folderGraph, graphBlock, replaceGraphBlock } from './lib/folder-graph.mjs';

const root = new URL('../', import.meta.url);
const doc = new URL('docs/architecture.md', root);
const { edges, examples } = folderGraph(fileURLToPath(new URL('src', root)));
for (const part of cycles(edges)) {
  const ties = part.flatMap((a) =>
    [...edges.get(a)].filter((b) => part.includes(b)).map((b) => `  ${examples.get(`${a} -> ${b}`)}`),
  );
  console.error(`cycle between ${part.join(', ')}:\n${ties.join('\n')}`);
  process.exitCode = 1;
}
await writeFile(doc, replaceGraphBlock(await readFile(doc, 'utf8'), graphBlock(edges)));
console.log('wrote docs/architecture.md');
