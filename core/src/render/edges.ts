/** The edge list and layer palette every renderer shares, so Mermaid, DOT and SVG agree. */
import type { Dag } from '../graph/dag.js';
import type { Layer } from '../config/model.js';

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
    const inputs = Object.values(dag.steps.get(to)!.inputs);
    for (const from of dag.upstream.get(to) ?? []) {
      const keys = [...new Set(inputs.filter((k) => dag.producers.get(k) === from))];
      edges.push({ from, to, keys });
    }
  }
  return edges;
}
