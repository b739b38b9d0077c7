/**
 * Graphviz DOT for `odibi dag --format dot`, for users who want Graphviz's own layouts and output formats.
 */
import type { Dag } from '../graph/dag.js';
import { dagEdges, LAYER_COLOURS } from './edges.js';

export function toDot(dag: Dag): string {
  const lines = [
    'digraph pipeline {',
    '  rankdir=LR;',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=12];',
    '  edge [fontname="Helvetica", fontsize=10, color="#6b7280"];',
  ];
  for (const name of dag.order) {
    const step = dag.steps.get(name)!;
    const c = LAYER_COLOURS[step.layer];
    const label = `${quote(name)}\\n${quote(`${step.layer} · ${step.type}`)}`;
    lines.push(`  "${quote(name)}" [label="${label}", fillcolor="${c.fill}", color="${c.stroke}", fontcolor="${c.text}"];`);
  }
  for (const e of dagEdges(dag)) {
    const attrs = e.keys.length ? `label="${quote(e.keys.join(', '))}"` : 'style=dashed';
    lines.push(`  "${quote(e.from)}" -> "${quote(e.to)}" [${attrs}];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** Body of a DOT double-quoted string; backslashes are doubled so Graphviz does not read `\n`, `\l` in names. */
function quote(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n');
}
