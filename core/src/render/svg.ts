/**
 * A standalone SVG for `odibi dag --format svg`: dagre does the layout so the picture needs no
 * Graphviz or browser, and large pipelines (hundreds of steps) still come out without overlaps.
 */
import dagre from '@dagrejs/dagre';
import type { Dag } from '../graph/dag.js';
import type { StepConfig } from '../config/model.js';
import { LAYERS } from '../config/model.js';
import { dagEdges, LAYER_COLOURS } from './edges.js';

/** dagre 3.1.3's declarations use extensionless imports that NodeNext cannot resolve, so the API is typed here. */
interface Point { x: number; y: number }
interface LayoutGraph {
  setGraph(label: Record<string, unknown>): void;
  setDefaultEdgeLabel(fn: () => object): void;
  setNode(id: string, label: { width: number; height: number }): void;
  setEdge(from: string, to: string, label: { width: number; height: number; labelpos: 'c' }): void;
  node(id: string): Point & { width: number; height: number };
  edge(from: string, to: string): Partial<Point> & { points?: Point[] };
  graph(): { width?: number; height?: number };
}
const { graphlib, layout } = dagre as unknown as { graphlib: { Graph: new () => LayoutGraph }; layout: (g: LayoutGraph) => void };

const CHAR_W = 7;
const SMALL_CHAR_W = 6;
const PAD_X = 12;
const NODE_H = 44;
const MIN_NODE_W = 110;
const MAX_NODE_W = 280;
const MAX_NAME_CHARS = Math.floor((MAX_NODE_W - 2 * PAD_X) / CHAR_W);
const MAX_LABEL_CHARS = 40;
const LABEL_H = 14;
const MARGIN = 16;
const LEGEND_H = 30;

/** A step's state after a run, drawn as the box outline and a mark in its corner. */
export type StepState = 'success' | 'failed' | 'skipped' | 'running' | 'pending';
const STATE_STYLE: Record<StepState, { stroke: string; mark: string }> = {
  success: { stroke: '#16a34a', mark: '✔' },
  failed: { stroke: '#dc2626', mark: '✖' },
  skipped: { stroke: '#9ca3af', mark: '○' },
  running: { stroke: '#2563eb', mark: '…' },
  pending: { stroke: '#9ca3af', mark: '·' },
};

export interface SvgOptions {
  /** Colour steps by how a run left them (e.g. after `%run`). */
  states?: ReadonlyMap<string, StepState>;
}

export function toSvg(dag: Dag, options: SvgOptions = {}): string {
  const ids = new Map(dag.order.map((name, i) => [name, `n${i}`]));
  const edges = dagEdges(dag).map((e) => ({ ...e, label: truncate(e.keys.join(', '), MAX_LABEL_CHARS) }));
  const g = new graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 56, edgesep: 12, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));
  for (const name of dag.order) {
    const step = dag.steps.get(name)!;
    const textW = Math.max(truncate(name, MAX_NAME_CHARS).length * CHAR_W, subtitle(step).length * SMALL_CHAR_W);
    g.setNode(ids.get(name)!, { width: clamp(textW + 2 * PAD_X, MIN_NODE_W, MAX_NODE_W), height: NODE_H });
  }
  for (const e of edges) {
    const labelled = e.label.length > 0;
    g.setEdge(ids.get(e.from)!, ids.get(e.to)!, { width: labelled ? e.label.length * SMALL_CHAR_W + 8 : 0, height: labelled ? LABEL_H : 0, labelpos: 'c' });
  }
  layout(g);

  const legend = legendItems();
  const graphW = finite(g.graph().width);
  const width = Math.max(graphW, legend.width + 2 * MARGIN);
  const height = LEGEND_H + Math.max(finite(g.graph().height), 2 * MARGIN);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" viewBox="0 0 ${num(width)} ${num(height)}" font-family="Helvetica, Arial, sans-serif">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#6b7280"/></marker></defs>',
    `<rect class="background" width="${num(width)}" height="${num(height)}" fill="#ffffff"/>`,
    ...legend.parts,
  ];
  for (const e of edges) {
    const layoutEdge = g.edge(ids.get(e.from)!, ids.get(e.to)!);
    const points = (layoutEdge.points ?? []).map((p) => `${num(p.x)},${num(p.y + LEGEND_H)}`);
    const dash = e.keys.length ? '' : ' stroke-dasharray="5,4"';
    const title = `${e.from} → ${e.to}${e.keys.length ? `: ${e.keys.join(', ')}` : ''}`;
    out.push(`<g class="edge"><title>${xml(title)}</title><path d="M${points.join(' L')}" fill="none" stroke="#6b7280" stroke-width="1.3"${dash} marker-end="url(#arrow)"/>`);
    if (e.keys.length && layoutEdge.x !== undefined && layoutEdge.y !== undefined) {
      out.push(`<text class="edge-label" x="${num(layoutEdge.x)}" y="${num(layoutEdge.y + LEGEND_H + 3)}" font-size="10" text-anchor="middle" fill="#374151" stroke="#ffffff" stroke-width="3" paint-order="stroke">${xml(e.label)}</text>`);
    }
    out.push('</g>');
  }
  for (const name of dag.order) {
    const step = dag.steps.get(name)!;
    const n = g.node(ids.get(name)!);
    const c = LAYER_COLOURS[step.layer];
    const cx = n.x;
    const cy = n.y + LEGEND_H;
    const state = options.states?.get(name);
    const st = state ? STATE_STYLE[state] : undefined;
    out.push(
      `<g class="node${state ? ` state-${state}` : ''}"><title>${xml(`${name} (${subtitle(step)})${state ? `: ${state}` : ''}`)}</title>` +
        `<rect class="node-box" x="${num(cx - n.width / 2)}" y="${num(cy - n.height / 2)}" width="${num(n.width)}" height="${num(n.height)}" rx="6" ry="6" fill="${c.fill}" stroke="${st?.stroke ?? c.stroke}" stroke-width="${st ? 3 : 1.5}"/>` +
        (st ? `<text class="state-mark" x="${num(cx + n.width / 2 - 9)}" y="${num(cy - n.height / 2 + 13)}" font-size="11" text-anchor="middle" fill="${st.stroke}">${st.mark}</text>` : '') +
        `<text x="${num(cx)}" y="${num(cy - 3)}" font-size="12" font-weight="bold" text-anchor="middle" fill="${c.text}">${xml(truncate(name, MAX_NAME_CHARS))}</text>` +
        `<text x="${num(cx)}" y="${num(cy + 13)}" font-size="10" text-anchor="middle" fill="${c.text}">${xml(subtitle(step))}</text></g>`,
    );
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function legendItems(): { parts: string[]; width: number } {
  const parts: string[] = ['<g class="legend">'];
  let x = MARGIN;
  for (const layer of LAYERS) {
    const c = LAYER_COLOURS[layer];
    parts.push(`<rect class="legend-swatch" x="${x}" y="10" width="14" height="14" rx="3" fill="${c.fill}" stroke="${c.stroke}"/>`);
    parts.push(`<text x="${x + 20}" y="21" font-size="12" fill="#374151">${layer}</text>`);
    x += 20 + layer.length * CHAR_W + 18;
  }
  parts.push('</g>');
  return { parts, width: x - MARGIN };
}

function subtitle(step: StepConfig): string {
  return `${step.layer} · ${step.type}`;
}

/** Cuts by code point so a surrogate pair is never split. */
function truncate(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function finite(v: number | undefined): number {
  return v !== undefined && Number.isFinite(v) ? v : 0;
}

function num(v: number): string {
  return String(Math.round(v * 10) / 10);
}

function xml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}
