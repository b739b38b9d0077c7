// Helpers shared by the benchmark workers (the child processes that run one measured variant).
//
// A worker prints exactly one JSON line on stdout — { wallMs, maxRssKiB, ...extra } — and nothing
// else, so the orchestrator (run.mjs) can parse it. Diagnostics go to stderr.

/** Wall-clock milliseconds of `work()`. */
export async function timed(work) {
  const t0 = performance.now();
  const value = await work();
  return { ms: performance.now() - t0, value };
}

/** Reports a worker's measurement and exits (DuckDB's native threads must not keep it alive). */
export function report(result) {
  const line = JSON.stringify({ ...result, maxRssKiB: process.resourceUsage().maxRSS });
  process.stdout.write(`${line}\n`, () => process.exit(0));
}

/** Runs a worker's main function; any failure exits non-zero with the error on stderr. */
export function main(fn) {
  fn().catch((err) => {
    console.error(err?.stack ?? String(err));
    process.exit(1);
  });
}

/* SQL text for the raw baselines, written the way ODIBI writes it (engine/sql.ts). */

export const ident = (name) => `"${String(name).replace(/"/g, '""')}"`;
export const str = (value) => `'${String(value).replace(/'/g, "''")}'`;

/** A JSON value as a DuckDB literal, for read_csv(..., name=value) options. */
export function literal(value) {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return str(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  return `{${Object.entries(value).map(([k, v]) => `${str(k)}: ${literal(v)}`).join(', ')}}`;
}

export const namedArgs = (options = {}) => Object.entries(options).map(([k, v]) => `, ${k}=${literal(v)}`).join('');
