import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script module, without type declarations
import { currentGraphBlock, cycles, folderGraph, graphBlock } from '../../scripts/lib/folder-graph.mjs';

type Edges = Map<string, Set<string>>;
const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const DOC = new URL('../../docs/architecture.md', import.meta.url);

describe('the folder graph (docs/architecture.md)', () => {
  const { edges, examples } = folderGraph(SRC) as { edges: Edges; examples: Map<string, string> };

  it('has no cycle between the rooms of src/', () => {
    const found = (cycles(edges) as string[][]).map((part) => ({
      rooms: part,
      // Which imports tie the rooms together, so the message says what to move.
      ties: part.flatMap((a) =>
        [...edges.get(a)!].filter((b) => part.includes(b)).map((b) => examples.get(`${a} -> ${b}`)),
      ),
    }));
    expect(found).toEqual([]);
  });

  it('is drawn as the code is (npm run architecture redraws it)', () => {
    expect(currentGraphBlock(readFileSync(DOC, 'utf8'))).toBe(graphBlock(edges));
  });

  it('finds a cycle when there is one', () => {
    const looped: Edges = new Map([
      ['config', new Set(['store'])],
      ['store', new Set(['config', 'core'])],
      ['core', new Set()],
    ]);
    expect(cycles(looped)).toEqual([['config', 'store']]);
  });
});
