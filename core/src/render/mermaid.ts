/**
 * Mermaid text for `odibi dag --format mermaid`, so a pipeline diagram can be pasted into Markdown.
 * Also holds the edge list and layer palette the DOT and SVG renderers share, so all three agree.
 */
import type { Dag } from '../graph/dag.js';
import type { Layer } from '../config/model.js';
import { LAYERS } from '../config/model.js';

export interface DagEdge {
  readonly from: string;
  readonly to: string;
  /** Dataset keys `from` produces and `to` reads; empty for connection and depends_on edges. */
  readonly keys: readonly string[];
}

export const LAYER_COLOURS: Readonly<Record<Layer, { fill: string; stroke: string; text: string }>> = {
  connect: { fill: '#e5e7eb', stroke: '#4b5563', text: '#111827' },
  ingest: { fill: '#dbeafe', stroke: '#2563eb', text: '#1e3a8a' },
  store: { fill: '#fef3c7', stroke: '#d97706', text: '#78350f' },
  transform: { fill: '#dcfce7', stroke: '#16a34a', text: '#14532d' },
  publish: { fill: '#f3e8ff', stroke: '#9333ea', text: '#581c87' },
};

/** Edges in topological order of their target, then in the target's dependency order. */
export function dagEdges(dag: Dag): DagEdge[] {
  const edges: DagEdge[] = [];
  for (const to of dag.order) {
    const step = dag.steps.get(to);
    for (const from of dag.upstream.get(to) ?? []) {
      const keys = step ? [...new Set(Object.values(step.inputs).filter((k) => dag.producers.get(k) === from))] : [];
      edges.push({ from, to, keys });
    }
  }
  return edges;
}

export function toMermaid(dag: Dag): string {
  const ids = mermaidIds(dag.order);
  const lines = ['flowchart LR'];
  for (const name of dag.order) lines.push(`  ${ids.get(name)}["${mermaidText(name)}"]`);
  for (const e of dagEdges(dag)) {
    const arrow = e.keys.length ? `-->|"${mermaidText(e.keys.join(', '))}"|` : '-.->';
    lines.push(`  ${ids.get(e.from)} ${arrow} ${ids.get(e.to)}`);
  }
  for (const layer of LAYERS) {
    const c = LAYER_COLOURS[layer];
    lines.push(`  classDef ${layer} fill:${c.fill},stroke:${c.stroke},color:${c.text}`);
  }
  for (const layer of LAYERS) {
    const members = dag.order.filter((n) => dag.steps.get(n)?.layer === layer);
    if (members.length) lines.push(`  class ${members.map((n) => ids.get(n)).join(',')} ${layer}`);
  }
  return lines.join('\n') + '\n';
}

/** Mermaid ids allow only word characters; distinct names that sanitize alike get a numeric suffix. */
function mermaidIds(names: readonly string[]): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const name of names) {
    const base = `s_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
    let id = base;
    for (let i = 2; used.has(id); i++) id = `${base}_${i}`;
    used.add(id);
    ids.set(name, id);
  }
  return ids;
}

/** Mermaid's entity codes, since quoted labels cannot contain a raw quote and may be rendered as HTML. */
function mermaidText(s: string): string {
  return s.replace(/[#"<>&|]/g, (ch) => `#${ch.charCodeAt(0)};`).replace(/\r?\n/g, ' ');
}
