/**
 * The step a pipeline magic declares, from its arguments alone: shared by the kernel (which then
 * runs it) and `odibi convert` (which reads saved notebooks without running them).
 */
import { parseArgs } from 'node:util';
import { suggest } from '../shared/suggest.js';
import type { SqlStructure, SqlSyntaxError } from '../sql/structure.js';
import type { MagicCall } from './magic-parse.js';
import type { StepFields } from './step-fields.js';

export class MagicUsageError extends Error {
  constructor(readonly magic: string, message: string, readonly hint?: string) {
    super(message);
    this.name = 'MagicUsageError';
  }
}

interface StepMagic {
  kind: 'line' | 'cell';
  usage: string;
  positionals: number;
  options: Record<string, { type: 'string' | 'boolean' }>;
}

export const STEP_MAGICS: Readonly<Record<string, StepMagic>> = {
  ingest: { kind: 'line', positionals: 2, usage: '%ingest <key> <path> [--format csv|parquet|json|ndjson] [--name STEP] [--schema JSON] [--on-bad-rows fail|skip|quarantine]', options: { format: { type: 'string' }, name: { type: 'string' }, schema: { type: 'string' }, 'on-bad-rows': { type: 'string' } } },
  sql: { kind: 'cell', positionals: 1, usage: '%%sql <key> [--name STEP] [--template] [--checks JSON]', options: { name: { type: 'string' }, template: { type: 'boolean' }, checks: { type: 'string' } } },
  ts: { kind: 'cell', positionals: 1, usage: '%%ts <key> --inputs a,b [--name STEP]', options: { inputs: { type: 'string' }, name: { type: 'string' } } },
  store: { kind: 'line', positionals: 2, usage: '%store <key> <path> [--format parquet|csv|json] [--mode overwrite|append]', options: { format: { type: 'string' }, mode: { type: 'string' } } },
  publish: { kind: 'line', positionals: 2, usage: '%publish <key> <target>', options: {} },
  connect: { kind: 'line', positionals: 2, usage: '%connect <name> <url-or-path>', options: {} },
};

/** What a step magic declares. `ts` carries the function body for a generated module. */
export interface MagicStep {
  fields: StepFields;
  /** Keys the step reads (for %%ts: --inputs; for %%sql: the known keys its SQL mentions). */
  inputs: string[];
  ts?: { body: string };
  /** %%sql --template: the SQL still has {{var}} placeholders to fill. */
  template?: boolean;
}

/**
 * Parses a step magic's arguments; `knownKeys` are the datasets defined before it. A `%%sql` cell's
 * inputs are the tables DuckDB's parser finds in it (`sql`, from `readSqlStructure`), never a
 * guess from its text: aliases, CTE names, columns and string literals do not count.
 */
export function stepFromMagic(call: MagicCall, knownKeys: readonly string[], sql?: SqlStructure | SqlSyntaxError): MagicStep {
  const spec = STEP_MAGICS[call.name];
  if (!spec) throw new MagicUsageError(call.name, `%${call.name} does not define a step`);
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: call.args, options: spec.options, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    throw new MagicUsageError(call.name, (err as Error).message.replace(/\. To specify a positional.*$/s, ''), `usage: ${spec.usage}`);
  }
  if (parsed.positionals.length !== spec.positionals) {
    throw new MagicUsageError(call.name, parsed.positionals.length < spec.positionals ? 'missing argument' : `too many arguments (${parsed.positionals.slice(spec.positionals).join(' ')})`, `usage: ${spec.usage}`);
  }
  const v = parsed.values;
  const [a, b] = parsed.positionals;
  const name = (fallback: string) => (typeof v.name === 'string' ? v.name : fallback);
  switch (call.name) {
    case 'ingest': {
      const params: Record<string, unknown> = v.format ? { format: v.format } : {};
      if (typeof v.schema === 'string') {
        try {
          params.schema = JSON.parse(v.schema);
        } catch (err) {
          throw new MagicUsageError('ingest', `--schema is not JSON: ${(err as Error).message}`, `write the columns and their types, e.g. --schema '{"id": "BIGINT", "temp": "DOUBLE"}'`);
        }
      }
      const policy = v['on-bad-rows'];
      if (typeof policy === 'string') params.on_bad_rows = policy;
      // Quarantined rows go to <key>_rejects.
      return { fields: { layer: 'ingest', name: name(`ingest_${a}`), value: b, params, outputs: policy === 'quarantine' ? { data: a, rejects: `${a}_rejects` } : { data: a } }, inputs: [] };
    }
    case 'sql': {
      if (!call.body.trim()) throw new MagicUsageError('sql', 'the cell has no SQL', 'write the query on the lines after %%sql <key>');
      const inputs = sqlInputs(a, knownKeys, sql);
      let checks: unknown;
      if (typeof v.checks === 'string') {
        try {
          checks = JSON.parse(v.checks);
        } catch (err) {
          throw new MagicUsageError('sql', `--checks is not JSON: ${(err as Error).message}`, `write a JSON list, e.g. --checks '[{"type": "not_null", "columns": ["id"]}]'`);
        }
      }
      return { fields: { layer: 'transform', type: 'sql', name: name(a), value: call.body, ...(checks === undefined ? {} : { params: { checks } }), inputs: Object.fromEntries(inputs.map((k) => [k, k])), outputs: { data: a } }, inputs, template: v.template === true };
    }
    case 'ts': {
      if (!call.body.trim()) throw new MagicUsageError('ts', 'the cell has no function body', 'write statements ending in `return rows` on the lines after %%ts <key> --inputs ...');
      const inputs = String(v.inputs ?? '').split(',').map((k) => k.trim()).filter(Boolean);
      return { fields: { layer: 'transform', type: 'function', name: name(a), value: '', inputs: Object.fromEntries(inputs.map((k) => [k, k])), outputs: { data: a } }, inputs, ts: { body: call.body } };
    }
    case 'store': {
      const params: Record<string, unknown> = {};
      if (v.format) params.format = v.format;
      if (v.mode) params.mode = v.mode;
      return { fields: { layer: 'store', name: `store_${a}`, value: b, params, inputs: { data: a } }, inputs: [a] };
    }
    case 'publish': {
      const http = /^https?:\/\//i.test(b);
      return { fields: { layer: 'publish', name: `publish_${a}`, value: http ? '' : b, params: http ? { url: b } : {}, inputs: { data: a } }, inputs: [a] };
    }
    default:
      return { fields: { layer: 'connect', name: a, value: b }, inputs: [] };
  }
}

/**
 * `stepFromMagic` with a `%%sql` cell's SQL parsed by DuckDB (`parse`), after `fillTemplate` has
 * filled a `--template` cell's {{var}} placeholders: what the kernel and `odibi convert` both use.
 */
export async function declareStep(
  call: MagicCall, knownKeys: readonly string[], parse: (sql: string) => Promise<SqlStructure | SqlSyntaxError>, fillTemplate?: (sql: string) => string,
): Promise<MagicStep> {
  if (call.name !== 'sql') return stepFromMagic(call, knownKeys);
  const body = fillTemplate && call.args.includes('--template') ? fillTemplate(call.body) : call.body;
  const filled = { ...call, body };
  return stepFromMagic(filled, knownKeys, body.trim() ? await parse(body) : undefined);
}

/** "line 3, column 7 of the cell" (a %%sql cell's SQL starts on its second line). */
function inCell(p: { line?: number; column?: number }): string {
  return p.line === undefined ? '' : ` (line ${p.line + 1}${p.column !== undefined ? `, column ${p.column}` : ''} of the cell)`;
}

/** The dataset keys a %%sql cell reads: its unqualified base tables, each one a known key. */
function sqlInputs(key: string, knownKeys: readonly string[], sql: SqlStructure | SqlSyntaxError | undefined): string[] {
  if (!sql) throw new Error('stepFromMagic needs the parsed SQL of a %%sql cell (readSqlStructure)');
  if (!sql.ok) throw new MagicUsageError('sql', `SQL syntax error${inCell(sql)}: ${sql.message}`, 'fix the SQL; table names are the dataset keys defined above');
  const inputs: string[] = [];
  for (const t of sql.tables) {
    // schema.table and catalog.schema.table name something else (a %connect database, DuckDB's own tables).
    if (t.schema !== undefined || t.catalog !== undefined) continue;
    const k = knownKeys.find((known) => known.toLowerCase() === t.name.toLowerCase());
    if (k === undefined) {
      const others = knownKeys.filter((x) => x !== key);
      throw new MagicUsageError('sql', `unknown dataset '${t.name}'${inCell(t)}`, others.length ? suggest(t.name, others, `defined datasets: ${others.join(', ')}`) : 'define one first, e.g. %ingest sales data/sales.csv');
    }
    if (k === key) throw new MagicUsageError('sql', `the SQL reads '${t.name}'${inCell(t)}, the dataset this cell defines`, 'give the result a new key, e.g. %%sql ' + key + '_v2');
    if (!inputs.includes(k)) inputs.push(k);
  }
  return inputs;
}

/**
 * Puts a definition into an ordered list of steps: one writing the same dataset key (or with the
 * same name) is replaced in place, otherwise it is appended. Returns whether it replaced one.
 */
export function upsertStep(steps: Map<string, StepFields>, fields: StepFields): { next: Map<string, StepFields>; replaced: boolean } {
  const outputs = Object.values((fields.outputs ?? {}) as Record<string, string>);
  const replaced = [...steps.values()].find((s) => s.name === fields.name || Object.values((s.outputs ?? {}) as Record<string, string>).some((k) => outputs.includes(k)))?.name;
  const next = new Map<string, StepFields>();
  for (const [k, s] of steps) {
    if (k === replaced) next.set(fields.name, fields);
    else next.set(k, s);
  }
  if (replaced === undefined) next.set(fields.name, fields);
  return { next, replaced: replaced !== undefined };
}
