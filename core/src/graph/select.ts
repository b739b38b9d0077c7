/**
 * Step selection, dbt-style: `name`, `+name` (with everything upstream), `name+` (with everything
 * downstream), `+name+`, and `layer:ingest` for every step of a layer. Items may be comma- or
 * space-separated and repeated. Parsing is kept apart from evaluation against a graph.
 */
import { SelectionError } from '../errors.js';
import { LAYERS } from '../config/model.js';
import type { Dag } from './dag.js';
import { suggest } from '../shared/suggest.js';

export interface Selector {
  raw: string;
  method: 'name' | 'layer';
  value: string;
  upstream: boolean;
  downstream: boolean;
}

export function parseSelectors(items: readonly string[]): Selector[] {
  return items
    .flatMap((i) => i.split(/[\s,]+/))
    .filter((t) => t.length > 0)
    .map((raw) => {
      let body = raw;
      const upstream = body.startsWith('+');
      if (upstream) body = body.slice(1);
      const downstream = body.endsWith('+');
      if (downstream) body = body.slice(0, -1);
      const [method, value] = body.includes(':') ? (body.split(':', 2) as [string, string]) : ['name', body];
      if (method !== 'name' && method !== 'layer') {
        throw new SelectionError(`unknown selector method '${method}' in '${raw}'`, { hint: 'use a step name, +name, name+, or layer:<layer>' });
      }
      if (!value) throw new SelectionError(`empty selector '${raw}'`, { hint: 'use a step name, +name, name+, or layer:<layer>' });
      return { raw, method, value, upstream, downstream };
    });
}

function closure(dag: Dag, start: string, edges: ReadonlyMap<string, readonly string[]>, into: Set<string>): void {
  const stack = [start];
  while (stack.length) {
    const n = stack.pop()!;
    for (const m of edges.get(n) ?? []) {
      if (!into.has(m)) {
        into.add(m);
        stack.push(m);
      }
    }
  }
}

export function evaluateSelectors(dag: Dag, selectors: readonly Selector[]): Set<string> {
  const out = new Set<string>();
  for (const sel of selectors) {
    let roots: string[];
    if (sel.method === 'layer') {
      if (!(LAYERS as readonly string[]).includes(sel.value)) {
        throw new SelectionError(`unknown layer '${sel.value}' in selector '${sel.raw}'`, { hint: `layers: ${LAYERS.join(', ')}` });
      }
      roots = [...dag.steps.values()].filter((s) => s.layer === sel.value).map((s) => s.name);
    } else {
      if (!dag.steps.has(sel.value)) {
        throw new SelectionError(`no step named '${sel.value}' (in selector '${sel.raw}')`, { hint: suggest(sel.value, [...dag.steps.keys()], 'run `odibi validate` to list the steps') });
      }
      roots = [sel.value];
    }
    for (const r of roots) {
      out.add(r);
      if (sel.upstream) closure(dag, r, dag.upstream, out);
      if (sel.downstream) closure(dag, r, dag.downstream, out);
    }
  }
  return out;
}

/**
 * The steps a run executes: `only` (default all) minus `skip`. A selected step that needs data
 * from an unselected one cannot run in a fresh in-memory run, so that is an error with a fix.
 */
export function selectSteps(dag: Dag, only: readonly string[] = [], skip: readonly string[] = []): Set<string> {
  const onlySel = parseSelectors(only);
  const skipSel = parseSelectors(skip);
  const chosen = onlySel.length ? evaluateSelectors(dag, onlySel) : new Set(dag.order);
  for (const s of evaluateSelectors(dag, skipSel)) chosen.delete(s);
  const missing: Array<{ step: string; needs: string }> = [];
  for (const name of chosen) {
    for (const up of dag.upstream.get(name) ?? []) {
      if (!chosen.has(up)) missing.push({ step: name, needs: up });
    }
  }
  if (missing.length) {
    // The fix names steps of this pipeline: the first one that lacks its upstream, and what it needs.
    const { step, needs } = missing[0];
    throw new SelectionError(`the selection leaves out steps that selected steps need: ${missing.map((m) => `'${m.step}' needs '${m.needs}'`).join(', ')}`, {
      hint: `select upstream steps too with a leading +, e.g. --only +${step}, or skip what depends on it as well, e.g. --skip ${needs}+`,
    });
  }
  return chosen;
}
