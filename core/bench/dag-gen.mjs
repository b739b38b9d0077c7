// Generates benchmark (b)'s synthetic pipeline: `steps` tiny SQL steps with fan-out and fan-in.
// Deterministic (seeded PRNG), so every run measures the same graph.
//
// 20 root steps (layer ingest, type sql) each make a 100-row table; every later step is a transform
// reading 1–3 distinct earlier datasets (mostly recent ones, so the graph is deep; sometimes any
// earlier one, so outputs fan out widely). Every dataset keeps 100 rows with a unique id, so the
// work per step stays tiny and constant: the benchmark measures per-step overhead, not data.
//
// Each step's SQL comes from one template with its input references as a parameter, so ODIBI's
// config (aliases a, b, c) and the raw baseline's statements (`"d_0042" AS a`) are the same query.
import { rng } from '../../examples/iot/rng.mjs';

const ROOTS = 20;
const ROWS = 100;


/** The SQL of a step over its inputs; `ref(alias)` is how the statement names input `alias`. */
function sqlOf(root, arity, ref) {
  if (root !== undefined) return `SELECT range AS id, (range + ${root}) % 7 AS k FROM range(${ROWS})`;
  if (arity === 1) return `SELECT a.id, (a.k + 1) % 7 AS k FROM ${ref('a')}`;
  if (arity === 2) return `SELECT a.id, (a.k + b.k) % 7 AS k FROM ${ref('a')} JOIN ${ref('b')} ON a.id = b.id`;
  return `SELECT id, max(k) AS k FROM (SELECT id, k FROM ${ref('a')} UNION ALL SELECT id, k FROM ${ref('b')} UNION ALL SELECT id, k FROM ${ref('c')}) GROUP BY id`;
}

/**
 * The graph as a list of steps in a topological (declaration) order:
 * { name, key, root?, inputs: { alias: key } }.
 */
export function generateDag(steps, seed = 7) {
  const rand = rng(seed);
  const out = [];
  const pad = (i) => String(i).padStart(4, '0');
  for (let i = 0; i < steps; i++) {
    const key = `d_${pad(i)}`;
    if (i < Math.min(ROOTS, steps)) {
      out.push({ name: `s_${pad(i)}`, key, root: i, inputs: {} });
      continue;
    }
    const arity = Math.min(i, 1 + Math.floor(rand() * 3));
    const picked = new Set();
    while (picked.size < arity) {
      const j = rand() < 0.8 ? i - 1 - Math.floor(rand() * Math.min(i, 40)) : Math.floor(rand() * i);
      picked.add(j);
    }
    const inputs = Object.fromEntries([...picked].map((j, n) => ['abc'[n], `d_${pad(j)}`]));
    out.push({ name: `s_${pad(i)}`, key, inputs });
  }
  return out;
}

/** ODIBI's config for the graph. */
export function toPipeline(dag) {
  return {
    name: `dag_${dag.length}`,
    steps: dag.map((s) => ({
      layer: s.root !== undefined ? 'ingest' : 'transform',
      name: s.name,
      type: 'sql',
      value: sqlOf(s.root, Object.keys(s.inputs).length, (alias) => alias),
      ...(s.root !== undefined ? {} : { inputs: s.inputs }),
      outputs: { data: s.key },
    })),
  };
}

/**
 * The baseline's statements: the same queries naming the datasets directly, written as an expert
 * would by hand: a dataset that one later query reads is a view (DuckDB plans it inside that
 * query), every other one a table. `counted`: a result no step reads, whose stored rows both sides
 * report, so the benchmark can check they did the same work.
 */
export function toStatements(dag) {
  const readers = new Map();
  for (const s of dag) for (const key of Object.values(s.inputs)) readers.set(key, (readers.get(key) ?? 0) + 1);
  return dag.map((s) => {
    const n = readers.get(s.key) ?? 0;
    const sql = sqlOf(s.root, Object.keys(s.inputs).length, (alias) => `"${s.inputs[alias]}" AS ${alias}`);
    return { sql: `CREATE ${n === 1 ? 'VIEW' : 'TABLE'} "${s.key}" AS ${sql}`, counted: n === 0 };
  });
}
