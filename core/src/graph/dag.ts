/**
 * The step graph: which step depends on which, derived from dataset keys (a step reading key K
 * depends on the step writing K), `depends_on`, and `params.connection`. Pure: no I/O, no engine.
 */
import type { ConfigProblem } from '../errors.js';
import type { StepConfig } from '../config/model.js';
import { closestFirst, suggest } from '../shared/suggest.js';

export interface Dag {
  readonly steps: ReadonlyMap<string, StepConfig>;
  /** step → the steps it waits for */
  readonly upstream: ReadonlyMap<string, readonly string[]>;
  /** step → the steps waiting for it */
  readonly downstream: ReadonlyMap<string, readonly string[]>;
  /** dataset key → producing step */
  readonly producers: ReadonlyMap<string, string>;
  /** Step names in a topological order (declaration order breaks ties). */
  readonly order: readonly string[];
}

export interface DagResult {
  dag?: Dag;
  problems: ConfigProblem[];
}

export function connectionOf(step: StepConfig): string | undefined {
  const c = step.params.connection;
  return typeof c === 'string' && c.length > 0 ? c : undefined;
}

/**
 * Builds the graph and reports every dangling reference and cycle. `disabled` names steps that
 * exist but are switched off, so a reference to one gets a precise message.
 */
export function buildDag(
  steps: readonly StepConfig[],
  disabled: ReadonlyMap<string, StepConfig> = new Map(),
  /** Keys declared by steps that failed validation: reading one is not a second error. */
  unverified: ReadonlySet<string> = new Set(),
): DagResult {
  const problems: ConfigProblem[] = [];
  const byName = new Map(steps.map((s) => [s.name, s]));
  const producers = new Map<string, string>();
  for (const s of steps) for (const key of Object.values(s.outputs)) if (!producers.has(key)) producers.set(key, s.name);
  const disabledProducers = new Map<string, string>();
  for (const s of disabled.values()) for (const key of Object.values(s.outputs)) disabledProducers.set(key, s.name);

  const upstream = new Map<string, string[]>();
  for (const s of steps) {
    const deps = new Set<string>();
    for (const [alias, key] of Object.entries(s.inputs)) {
      const producer = producers.get(key);
      if (producer) {
        if (producer !== s.name) deps.add(producer);
        else problems.push({ message: `input '${alias}' reads '${key}', which this same step outputs`, step: s.name, ...at(s), hint: 'give the output a new dataset key' });
      } else if (unverified.has(key)) {
        continue;
      } else if (disabledProducers.has(key)) {
        problems.push({ message: `input '${alias}' reads '${key}', produced by step '${disabledProducers.get(key)}' which is disabled`, step: s.name, ...at(s), hint: `enable '${disabledProducers.get(key)}' or change this input` });
      } else {
        const known = [...producers.keys()];
        problems.push({
          message: `input '${alias}' reads dataset '${key}', which no step produces`,
          step: s.name,
          ...at(s),
          hint: known.length ? `known datasets: ${closestFirst(key, known).slice(0, 8).join(', ')}` : 'add a step whose outputs include this key',
        });
      }
    }
    for (const d of s.dependsOn) {
      if (d === s.name) problems.push({ message: 'depends_on lists the step itself', step: s.name, ...at(s), hint: 'remove it' });
      else if (byName.has(d)) deps.add(d);
      else problems.push({ message: `depends_on names '${d}', which is not a step${disabled.has(d) ? ' (it is disabled)' : ''}`, step: s.name, ...at(s), hint: suggest(d, [...byName.keys()]) });
    }
    const conn = connectionOf(s);
    if (conn !== undefined && s.layer !== 'connect') {
      const target = byName.get(conn);
      if (!target) problems.push({ message: `params.connection names '${conn}', which is not a step${disabled.has(conn) ? ' (it is disabled)' : ''}`, step: s.name, ...at(s), hint: suggest(conn, steps.filter((x) => x.layer === 'connect').map((x) => x.name), 'declare a connect step with that name') });
      else if (target.layer !== 'connect') problems.push({ message: `params.connection names '${conn}', which is a ${target.layer} step, not a connect step`, step: s.name, ...at(s), hint: 'point params.connection at a step with layer "connect"' });
      else deps.add(conn);
    }
    upstream.set(s.name, [...deps]);
  }

  const downstream = new Map<string, string[]>(steps.map((s) => [s.name, []]));
  for (const [name, deps] of upstream) for (const d of deps) downstream.get(d)!.push(name);

  const cycles = findCycles(steps.map((s) => s.name), upstream);
  for (const cycle of cycles) {
    const first = byName.get(cycle[0])!;
    problems.push({ message: `dependency cycle: ${cycle.join(' → ')}`, step: cycle[0], ...at(first), hint: 'a step cannot (even indirectly) read its own output; break the cycle by changing one of these inputs' });
  }
  if (problems.length > 0) return { problems };

  return { dag: { steps: byName, upstream, downstream, producers, order: topoOrder(steps.map((s) => s.name), upstream, downstream) }, problems };
}

function at(s: StepConfig): Pick<ConfigProblem, 'file' | 'line' | 'row'> {
  return { file: s.origin.file, line: s.origin.line, row: s.origin.row };
}

/**
 * Kahn's algorithm; ties keep declaration order so runs are reproducible. The ready set is a
 * binary heap of declaration positions: sorting it at every step made large graphs quadratic.
 */
function topoOrder(names: string[], upstream: Map<string, string[]>, downstream: Map<string, string[]>): string[] {
  const indeg = new Map(names.map((n) => [n, upstream.get(n)!.length]));
  const position = new Map(names.map((n, i) => [n, i]));
  const heap: number[] = [];
  const push = (v: number) => {
    let i = heap.push(v) - 1;
    while (i > 0 && heap[(i - 1) >> 1] > heap[i]) {
      [heap[i], heap[(i - 1) >> 1]] = [heap[(i - 1) >> 1], heap[i]];
      i = (i - 1) >> 1;
    }
  };
  const pop = (): number => {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < heap.length && heap[l] < heap[m]) m = l;
        if (r < heap.length && heap[r] < heap[m]) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  };
  names.forEach((n, i) => indeg.get(n) === 0 && push(i));
  const out: string[] = [];
  while (heap.length) {
    const n = names[pop()];
    out.push(n);
    for (const d of downstream.get(n)!) {
      indeg.set(d, indeg.get(d)! - 1);
      if (indeg.get(d) === 0) push(position.get(d)!);
    }
  }
  return out;
}

/** Each elementary cycle found by DFS, written as a path that returns to its start. */
function findCycles(names: string[], upstream: Map<string, string[]>): string[][] {
  const WHITE = 0, GREY = 1, BLACK = 2;
  const color = new Map(names.map((n) => [n, WHITE]));
  const stack: string[] = [];
  const cycles: string[][] = [];
  const seen = new Set<string>();
  // Walk consumer → producer edges reversed so the path reads in data-flow order.
  const downstream = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const [n, deps] of upstream) for (const d of deps) downstream.get(d)?.push(n);
  const visit = (n: string): void => {
    color.set(n, GREY);
    stack.push(n);
    for (const next of downstream.get(n) ?? []) {
      if (color.get(next) === GREY) {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const key = [...cycle.slice(0, -1)].sort().join('\u0000');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (color.get(next) === WHITE) visit(next);
    }
    stack.pop();
    color.set(n, BLACK);
  };
  for (const n of names) if (color.get(n) === WHITE) visit(n);
  return cycles;
}
