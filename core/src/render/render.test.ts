import { describe, it, expect } from 'vitest';
import { buildDag, type Dag } from '../graph/dag.js';
import type { Layer, StepConfig } from '../config/model.js';
import { toMermaid } from './mermaid.js';
import { toDot } from './dot.js';
import { toSvg } from './svg.js';
import { stepConfig, type StepSpec } from '../testing/step-config.js';


function step(layer: Layer, name: string, spec: StepSpec = {}): StepConfig {
  return stepConfig(layer, name, { ...spec, file: 'x.json' });
}

function dagOf(steps: StepConfig[]): Dag {
  const { dag, problems } = buildDag(steps);
  expect(problems).toEqual([]);
  return dag!;
}

const small = (): Dag =>
  dagOf([
    step('connect', 'local-files'),
    step('ingest', 'ingest.orders', { connection: 'local-files', outputs: { data: 'raw.orders' } }),
    step('ingest', 'ingest customers', { connection: 'local-files', outputs: { data: 'raw.customers' } }),
    step('transform', 'join', { inputs: { o: 'raw.orders', c: 'raw.customers' }, outputs: { data: 'joined' } }),
    step('store', 'store-joined', { inputs: { data: 'joined' }, outputs: {} }),
    step('publish', 'publish', { inputs: { data: 'joined' }, dependsOn: ['store-joined'] }),
  ]);

/** connect → 10 ingests → 10 stores → 30 transforms (fan-out) → 8 merges (fan-in) → 1 publish = 60 steps. */
function fanOutFanIn(width = 10): StepConfig[] {
  const steps = [step('connect', 'conn')];
  const transforms: string[] = [];
  for (let i = 0; i < width; i++) {
    steps.push(step('ingest', `ingest.source_${i}`, { connection: 'conn', outputs: { data: `raw.s${i}` } }));
    steps.push(step('store', `store-${i}`, { inputs: { data: `raw.s${i}` }, outputs: { data: `bronze.s${i}` } }));
    for (let j = 0; j < 3; j++) {
      steps.push(step('transform', `t_${i}_${j}`, { inputs: { data: `bronze.s${i}` }, outputs: { data: `silver.s${i}_${j}` } }));
      transforms.push(`silver.s${i}_${j}`);
    }
  }
  const merges = Math.ceil(width * 0.8);
  const mergeKeys: string[] = [];
  for (let m = 0; m < merges; m++) {
    const inputs = Object.fromEntries(transforms.filter((_, k) => k % merges === m).map((key, k) => [`in${k}`, key]));
    steps.push(step('transform', `merge ${m}`, { inputs, outputs: { data: `gold.m${m}` } }));
    mergeKeys.push(`gold.m${m}`);
  }
  steps.push(step('publish', 'publish.all', { inputs: Object.fromEntries(mergeKeys.map((k, i) => [`m${i}`, k])) }));
  return steps;
}

interface Box { x: number; y: number; width: number; height: number }

function nodeBoxes(svg: string): Box[] {
  return [...svg.matchAll(/<rect class="node-box" ([^>]*)\/>/g)].map((m) => {
    const attr = (name: string): number => Number(new RegExp(`\\b${name}="([^"]*)"`).exec(m[1])![1]);
    return { x: attr('x'), y: attr('y'), width: attr('width'), height: attr('height') };
  });
}

/** Tags balance and every `&` starts an entity: enough to catch broken escaping. */
function expectWellFormed(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([A-Za-z][\w-]*)[^<>]*?(\/?)>/g)) {
    if (m[1]) expect(stack.pop()).toBe(m[2]);
    else if (!m[3]) stack.push(m[2]);
  }
  expect(stack).toEqual([]);
  expect(svg.replace(/<[^<>]*>/g, '')).not.toMatch(/[<>]/);
  expect(svg).not.toMatch(/&(?!#\d+;|amp;|lt;|gt;|quot;|apos;)/);
}

function viewBox(svg: string): number[] {
  return /viewBox="([^"]*)"/.exec(svg)![1].split(' ').map(Number);
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

describe('toMermaid', () => {
  it('draws every edge with its dataset label and colour-codes layers', () => {
    const text = toMermaid(small());
    expect(text.startsWith('flowchart LR\n')).toBe(true);
    expect(text).toContain('s_ingest_orders["ingest.orders"]');
    expect(text).toContain('s_ingest_orders -->|"raw.orders"| s_join');
    expect(text).toContain('s_ingest_customers -->|"raw.customers"| s_join');
    expect(text).toContain('s_join -->|"joined"| s_store_joined');
    expect(text).toContain('s_join -->|"joined"| s_publish');
    expect(text).toContain('s_local_files -.-> s_ingest_orders');
    expect(text).toContain('s_store_joined -.-> s_publish');
    for (const layer of ['connect', 'ingest', 'store', 'transform', 'publish']) expect(text).toMatch(new RegExp(`^  classDef ${layer} fill:#`, 'm'));
    expect(text).toContain('class s_ingest_orders,s_ingest_customers ingest');
  });

  it('keeps ids distinct and escapes quotes and markup', () => {
    const text = toMermaid(dagOf([step('ingest', 'a.b', { outputs: { d: 'k"1' } }), step('transform', 'a-b', { inputs: { d: 'k"1' } }), step('publish', 'say "<hi>" & bye')]));
    expect(text).toContain('s_a_b["a.b"]');
    expect(text).toContain('s_a_b_2["a-b"]');
    expect(text).toContain('s_a_b -->|"k#34;1"| s_a_b_2');
    expect(text).toContain('["say #34;#60;hi#62;#34; #38; bye"]');
  });
});

describe('toDot', () => {
  it('writes a digraph with coloured nodes and every edge', () => {
    const text = toDot(small());
    expect(text.startsWith('digraph pipeline {\n  rankdir=LR;')).toBe(true);
    expect(text.trimEnd().endsWith('}')).toBe(true);
    expect(text).toMatch(/"ingest\.orders" \[label="ingest\.orders\\ningest · config_op", fillcolor="#dbeafe"/);
    expect(text).toContain('"ingest.orders" -> "join" [label="raw.orders"];');
    expect(text).toContain('"ingest customers" -> "join" [label="raw.customers"];');
    expect(text).toContain('"join" -> "publish" [label="joined"];');
    expect(text).toContain('"local-files" -> "ingest.orders" [style=dashed];');
    expect(text).toContain('"store-joined" -> "publish" [style=dashed];');
    expect(text.match(/->/g)).toHaveLength(7);
  });

  it('escapes quotes and backslashes inside ids', () => {
    const text = toDot(dagOf([step('ingest', 'a "b"\\c', { outputs: { d: 'k' } }), step('publish', 'p', { inputs: { d: 'k' } })]));
    expect(text).toContain('"a \\"b\\"\\\\c" -> "p" [label="k"];');
  });
});

describe('toSvg', () => {
  it('is well-formed with one box per step, all inside the viewBox', () => {
    const dag = small();
    const svg = toSvg(dag);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    expectWellFormed(svg);
    const boxes = nodeBoxes(svg);
    expect(boxes).toHaveLength(dag.steps.size);
    const [vx, vy, vw, vh] = viewBox(svg);
    expect(svg).toContain(`width="${vw}" height="${vh}"`);
    for (const b of boxes) {
      expect(b.x).toBeGreaterThanOrEqual(vx);
      expect(b.y).toBeGreaterThanOrEqual(vy);
      expect(b.x + b.width).toBeLessThanOrEqual(vx + vw);
      expect(b.y + b.height).toBeLessThanOrEqual(vy + vh);
    }
    expect(svg.match(/<title>/g)!.length).toBeGreaterThanOrEqual(dag.steps.size);
    expect(svg).toContain('marker-end="url(#arrow)"');
    expect(svg).toContain('>raw.orders</text>');
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(3);
    expect(svg.match(/class="legend-swatch"/g)).toHaveLength(5);
  });

  it('is deterministic', () => {
    expect(toSvg(small())).toBe(toSvg(small()));
    expect(toMermaid(small())).toBe(toMermaid(small()));
    expect(toDot(small())).toBe(toDot(small()));
  });

  it('escapes markup in names and truncates long ones, keeping the full name in the title', () => {
    const long = `very_long_${'x'.repeat(80)}`;
    const svg = toSvg(dagOf([step('ingest', 'a<b> & "c"', { outputs: { d: 'k<&>' } }), step('publish', long, { inputs: { d: 'k<&>' } })]));
    expectWellFormed(svg);
    expect(svg).toContain('a&#60;b&#62; &#38; &#34;c&#34;');
    expect(svg).toContain('>k&#60;&#38;&#62;</text>');
    expect(svg).toContain(`<title>${long} (publish · config_op)</title>`);
    expect(svg).toMatch(/>very_long_x+…<\/text>/);
    for (const b of nodeBoxes(svg)) expect(b.width).toBeLessThanOrEqual(280);
  });

  it('renders an empty pipeline', () => {
    const svg = toSvg(dagOf([]));
    expectWellFormed(svg);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(nodeBoxes(svg)).toHaveLength(0);
  });

  it.each([
    ['60-step', 10, 60],
    ['304-step', 52, 304],
  ])('lays out a %s fan-out/fan-in pipeline without overlapping boxes', (_label, width, count) => {
    const dag = dagOf(fanOutFanIn(width));
    expect(dag.steps.size).toBe(count);
    const svg = toSvg(dag);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expectWellFormed(svg);
    const boxes = nodeBoxes(svg);
    expect(boxes).toHaveLength(count);
    const [, , vw, vh] = viewBox(svg);
    expect(boxes.filter((b) => b.x < 0 || b.y < 0 || b.x + b.width > vw || b.y + b.height > vh)).toEqual([]);
    const clashes = boxes.flatMap((a, i) => boxes.slice(i + 1).filter((b) => overlaps(a, b)).map((b) => [a, b]));
    expect(clashes).toEqual([]);
  });
});

describe('svg run states', () => {
  it('outlines steps by state and marks them', () => {
    const { dag } = buildDag([step('ingest', 'a', { outputs: { d: 'a' } }), step('transform', 'b', { inputs: { a: 'a' }, outputs: { d: 'b' } })]);
    const svg = toSvg(dag!, { states: new Map([['a', 'success'], ['b', 'failed']]) });
    expect(svg).toContain('class="node state-success"');
    expect(svg).toContain('class="node state-failed"');
    expect(svg).toContain('stroke="#dc2626" stroke-width="3"');
    expect(toSvg(dag!)).not.toContain('state-');
  });
});

