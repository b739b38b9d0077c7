/**
 * What `params` each kind of step takes, checked at validation so a misspelt format, mode or
 * field is reported with the step's file:line before anything runs. A value outside its set, or an
 * unknown name close to a known one (`fromat`, `input`), is an error with a did-you-mean; other
 * unknown names are warnings (v1 configs carry extra params that never mattered). Function steps
 * take any params: they are the function's own (`ctx.params`).
 */
import { closest } from '../shared/suggest.js';
import type { Layer, StepType } from './model.js';

/** File formats by the names a config may use; the value is the canonical format. */
export const FORMAT_ALIASES: Readonly<Record<string, 'csv' | 'parquet' | 'json' | 'ndjson'>> = {
  csv: 'csv', tsv: 'csv', parquet: 'parquet', json: 'json', ndjson: 'ndjson', jsonl: 'ndjson',
};
export const WRITE_MODES = ['overwrite', 'append'] as const;
export const CONNECTION_TYPES = ['duckdb', 'sqlite', 'postgres', 's3', 'azure', 'azure_blob', 'adls'] as const;

/** Reader options (DuckDB's and pandas') that v1 configs wrote straight into params. */
const READER_OPTIONS = new Set(['header', 'delimiter', 'delim', 'sep', 'quote', 'quotechar', 'escape', 'escapechar', 'skip', 'skiprows', 'columns', 'types', 'dtype', 'names', 'encoding', 'compression', 'nullstr', 'na_values', 'dateformat', 'timestampformat', 'all_varchar', 'sample_size', 'auto_detect', 'union_by_name', 'hive_partitioning', 'filename', 'parse_dates', 'usecols', 'index_col']);

/**
 * A column type params.schema may name: a DuckDB type name, with a width or precision and list
 * brackets (`DOUBLE`, `DECIMAL(9,3)`, `TIMESTAMP WITH TIME ZONE`, `VARCHAR[]`). The NDJSON reader
 * writes it into a CAST, so anything else (a nested type, SQL) is refused rather than quoted.
 */
export const SCHEMA_TYPE = /^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\d*\])*$/;

type Check = (value: unknown) => string | undefined;

const nonNegative: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'must be a number, 0 or more');
const positive: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'must be a number above 0');
const positiveInt: Check = (v) => (Number.isInteger(v) && (v as number) > 0 ? undefined : 'must be a whole number above 0');
const string: Check = (v) => (typeof v === 'string' && v.length > 0 ? undefined : 'must be a non-empty string');
const object: Check = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? undefined : 'must be a JSON object');
const strings: Check = (v) => (object(v) ?? (Object.values(v as object).every((x) => typeof x === 'string') ? undefined : 'must map names to strings'));
const oneOf = (values: readonly string[]): Check => (v) => {
  if (typeof v === 'string' && values.includes(v.toLowerCase())) return undefined;
  const near = typeof v === 'string' ? closest(v.toLowerCase(), values) : undefined;
  return `${JSON.stringify(v)} is not one of ${values.join(', ')}${near ? `; did you mean '${near}'?` : ''}`;
};

/** params.schema: column → a DuckDB type name (steps/bad-rows.ts says which). */
const schemaTypes: Check = (v) => strings(v) ?? Object.entries(v as Record<string, string>).map(([c, t]) => (SCHEMA_TYPE.test(t) ? undefined : `'${t}' (column ${c}) is not a type name like BIGINT, DOUBLE, DECIMAL(9,3) or VARCHAR[]`)).find(Boolean);
const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');
/** What an object-store connect step (S3, Azure Blob) takes: storage/locate.ts reads them. */
const OBJECT_STORE: Record<string, Check> = {
  ...Object.fromEntries([
    'endpoint', 'endpoint_url', 'region', 'profile', 'access_key_id', 'aws_access_key_id', 'secret_access_key', 'aws_secret_access_key',
    'session_token', 'connection_string', 'account', 'account_name', 'account_key', 'sas_token', 'sas', 'account_url', 'container', 'bucket',
  ].map((name) => [name, string])),
  force_path_style: boolean,
};

const COMMON: Record<string, Check> = {
  retries: nonNegative,
  retry_delay_ms: nonNegative,
  timeout_ms: positive,
  // Checked in full by config/checks.ts (every problem of every check).
  checks: () => undefined,
  description: (v) => (typeof v === 'string' ? undefined : 'must be a string'),
};
const FILE_READ = { format: oneOf(Object.keys(FORMAT_ALIASES)), options: object, headers: strings };
const FILE_WRITE = { format: oneOf(Object.keys(FORMAT_ALIASES)), mode: oneOf(WRITE_MODES), options: object, connection: string };

/** The params a kind of step reads, or undefined for function steps (any params). */
export function knownParams(layer: Layer, type: StepType): Record<string, Check> | undefined {
  if (type === 'function') return undefined;
  switch (layer) {
    case 'connect':
      return { ...COMMON, type: oneOf(CONNECTION_TYPES), ...OBJECT_STORE };
    case 'ingest':
      if (type === 'sql') return { ...COMMON, connection: string };
      if (type === 'api') return { ...COMMON, url: string, records_path: (v) => (typeof v === 'string' ? undefined : 'must be a string like "data.items"'), headers: strings };
      // params.stream has its own schema (stream/spec.ts); partition fans out on --executor bullmq (graph/partition.ts).
      return { ...COMMON, ...FILE_READ, stream: object, connection: string, partition: oneOf(['files']), partition_size: positiveInt, schema: schemaTypes, on_bad_rows: oneOf(['fail', 'skip', 'quarantine']) };
    case 'transform':
      return { ...COMMON };
    case 'store':
      return { ...COMMON, ...FILE_WRITE };
    case 'publish':
      return { ...COMMON, ...FILE_WRITE, url: string, headers: strings, method: oneOf(['post', 'put', 'patch']), batch_size: positiveInt };
  }
}

export interface ParamIssue {
  message: string;
  hint?: string;
}

/** Problems (errors) and warnings with a step's params. */
export function checkParams(layer: Layer, type: StepType, params: Readonly<Record<string, unknown>>): { problems: ParamIssue[]; warnings: ParamIssue[] } {
  const problems: ParamIssue[] = [];
  const warnings: ParamIssue[] = [];
  const known = knownParams(layer, type);
  if (!known) return { problems, warnings };
  for (const [name, value] of Object.entries(params)) {
    const check = known[name];
    if (check) {
      const wrong = check(value);
      if (wrong) problems.push({ message: `params.${name} ${wrong}` });
      continue;
    }
    if (layer === 'ingest' && READER_OPTIONS.has(name.toLowerCase())) {
      // v1 configs put pandas/DuckDB reader options straight into params.
      warnings.push({ message: `param '${name}' is a reader option and is ignored here`, hint: `put reader options in params.options, e.g. {"options": {"${name}": ${JSON.stringify(params[name])}}}` });
      continue;
    }
    const near = closest(name, Object.keys(known));
    if (near) problems.push({ message: `unknown param '${name}'`, hint: `did you mean '${near}'?` });
    else warnings.push({ message: `unknown param '${name}' is ignored`, hint: `a ${layer}${type === 'config_op' ? '' : ` ${type}`} step takes ${Object.keys(known).join(', ')}` });
  }
  return { problems, warnings };
}
