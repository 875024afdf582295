// The folders of src/ as rooms and their imports as arrows: which folder imports which, from
// the import statements of the TypeScript sources. docs/architecture.md draws this graph, and
// test/unit/architecture.test.ts fails when it has a cycle or the drawing falls behind the code.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|^\s*import\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/gm;

/** Every .ts file below `dir` (not .d.ts). */
function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The room of a file: its first folder below src (`lane`), or the file itself at the top. */
export function roomOf(srcDir, file) {
  const parts = relative(srcDir, file).split(sep);
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.ts$/, '');
}

/**
 * The folder graph of `srcDir`: `edges` maps each room to the rooms it imports from (type-only
 * imports count: they tie the rooms' meanings together all the same), `files` holds one example
 * import per edge, for the message when a cycle appears.
 */
export function folderGraph(srcDir) {
  const edges = new Map();
  const examples = new Map();
  for (const file of sources(srcDir)) {
    const from = roomOf(srcDir, file);
    if (!edges.has(from)) edges.set(from, new Set());
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(srcDir + sep)) continue;
      const to = roomOf(srcDir, target.replace(/\.js$/, '.ts'));
      if (to === from) continue;
      edges.get(from).add(to);
      const key = `${from} -> ${to}`;
      if (!examples.has(key)) examples.set(key, `${relative(srcDir, file)} imports ${spec}`);
    }
  }
  return { edges, examples };
}

/** Every cycle between rooms, each as the list of rooms around it (the strongly connected parts of more than one room). */
export function cycles(edges) {
  let index = 0;
  const stack = [];
  const on = new Set();
  const idx = new Map();
  const low = new Map();
  const found = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const part = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        part.push(w);
      } while (w !== v);
      if (part.length > 1) found.push(part.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!idx.has(v)) visit(v);
  return found;
}

/** The graph as a Mermaid flowchart, rooms and arrows sorted so the text changes only with the graph. */
export function mermaid(edges) {
  const id = (room) => room.replace(/[^a-z0-9]/gi, '_');
  const lines = ['flowchart TD'];
  for (const room of [...edges.keys()].sort()) lines.push(`  ${id(room)}[${room}]`);
  for (const from of [...edges.keys()].sort()) {
    for (const to of [...edges.get(from)].sort()) lines.push(`  ${id(from)} --> ${id(to)}`);
  }
  return lines.join('\n');
}
