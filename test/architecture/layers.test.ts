import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Issue 12's structural rules, checked on the source tree: no runtime import cycle between the folders
 * of src/ (nor between the sub-folders of src/studies/), no src/ file over 400 lines, and no reference
 * to the steering repository's ../shared (a user who clones the project does not have it).
 */
const root = resolve(__dirname, '..', '..');
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The layer of a file: its top-level folder under src/, or studies/<sub> for the studies. */
function layer(path: string): string {
  const parts = relative(src, path).split('/');
  if (parts.length === 1) return '(root)';
  return parts[0] === 'studies' && parts.length > 2 ? `studies/${parts[1]}` : parts[0];
}

/** Runtime imports only: `import type` and type-only specifiers vanish at compile time. */
function runtimeImports(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^import\s+(?!type\s)([\s\S]*?)\s+from\s+'(\.[^']+)';/gm)) {
    const names = m[1];
    const onlyTypes =
      /^\{[^}]*\}$/.test(names.trim()) &&
      names
        .replace(/[{}]/g, '')
        .split(',')
        .every((n) => n.trim() === '' || n.trim().startsWith('type '));
    if (!onlyTypes) out.push(resolve(dirname(path), m[2].replace(/\.js$/, '.ts')));
  }
  for (const m of text.matchAll(/new URL\('(\.[^']+)', import\.meta\.url\)/g))
    out.push(resolve(dirname(path), m[1].replace(/\.js$/, '.ts')));
  return out;
}

function layerGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of files(src)) {
    const from = layer(file);
    for (const target of runtimeImports(file)) {
      const to = layer(target);
      if (to === from) continue;
      if (!graph.has(from)) graph.set(from, new Map());
      graph.get(from)?.set(to, `${relative(root, file)} → ${relative(root, target)}`);
    }
  }
  return graph;
}

/** A cycle in the layer graph as the list of import statements that close it, or null. */
function findCycle(graph: Map<string, Map<string, string>>): string[] | null {
  const state = new Map<string, 'active' | 'done'>();
  const stack: { node: string; via: string }[] = [];
  const visit = (node: string, via: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'active') {
      const start = stack.findIndex((s) => s.node === node);
      return [...stack.slice(start + 1).map((s) => s.via), via];
    }
    state.set(node, 'active');
    stack.push({ node, via });
    for (const [next, edge] of graph.get(node) ?? []) {
      const cycle = visit(next, edge);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node, '');
    if (cycle) return cycle;
  }
  return null;
}

describe('source layout (issue 12)', () => {
  it('has no runtime import cycle between the folders of src/ (studies/* counted separately)', () => {
    expect(findCycle(layerGraph())).toBeNull();
  });

  it('finds a cycle when there is one (the checker itself can fail)', () => {
    const graph = new Map([
      ['a', new Map([['b', 'a.ts → b.ts']])],
      ['b', new Map([['a', 'b.ts → a.ts']])],
    ]);
    expect(findCycle(graph)?.sort()).toEqual(['a.ts → b.ts', 'b.ts → a.ts']);
  });

  it('keeps the theory free of tfjs and the report free of analysis internals', () => {
    const graph = layerGraph();
    for (const file of files(join(src, 'theory')))
      expect(readFileSync(file, 'utf8'), relative(root, file)).not.toMatch(/@tensorflow/);
    const report = [...(graph.get('report')?.keys() ?? [])];
    expect(report.filter((to) => !['model', 'io'].includes(to))).toEqual([]);
  });

  it('has no src/ file over 400 lines', () => {
    const long = files(src)
      .map((f) => ({ file: relative(root, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter((f) => f.lines > 400);
    expect(long).toEqual([]);
  });

  it('cites docs/theory.md, never the steering repository (../shared)', () => {
    const offenders = [...files(src), join(root, 'README.md')].filter((f) =>
      /\.\.\/shared|equations\.md/.test(readFileSync(f, 'utf8')),
    );
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });
});
