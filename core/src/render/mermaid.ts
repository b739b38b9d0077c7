/**
 * Mermaid text for `odibi dag --format mermaid`, so a pipeline diagram can be pasted into Markdown.
 */
import type { Dag } from '../graph/dag.js';
import { LAYERS } from '../config/model.js';
import { dagEdges, LAYER_COLOURS } from './edges.js';

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
