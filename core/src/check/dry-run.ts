/**
 * `odibi validate`'s dry run, also done by `odibi run` before anything runs: every step checked
 * the way running it would check it, on schemas instead of data. Input files must exist (a glob
 * must match) and are sniffed for their columns; every SQL step is parsed by DuckDB and bound
 * against its inputs' columns as zero-row tables, in DAG order; function modules compile, have
 * their export and type-check. Downstream of a step whose columns are known only when it runs
 * (a function, an API, a connection), column checks stop with a note. Nothing is written and no
 * row is read beyond the sniffing.
 */
import { isObjectConnect, locate, locateConnection, onObjectStore, probe, type ObjectLocation } from '../storage/locate.js';
import { localCopies } from '../storage/read-cache.js';
import { defaultObjectCacheDir } from '../storage/cache-dir.js';
import { access } from 'node:fs/promises';
import type { Pipeline, StepConfig } from '../config/model.js';
import { DuckDBEngine, datasetTable, type ColumnSchema, type Session } from '../engine/duckdb-engine.js';
import { namedArgs, str } from '../engine/sql.js';
import type { ConfigProblem } from '../errors.js';
import { buildDag } from '../graph/dag.js';
import { describePosition, explainSqlError } from '../sql/errors.js';
import { readSqlStructure, readSqlStructures, type SqlStructure, type SqlSyntaxError } from '../sql/structure.js';
import { closest } from '../shared/suggest.js';
import { isUrl, resolvePath } from '../steps/context.js';
import { formatOf, readerFor, readFilesSql, type FileFormat } from '../steps/formats.js';
import { sniffedCsvTrouble } from '../steps/bad-rows.js';
import { checkFunctionModule } from './function-module.js';

export interface DryRunOptions {
  /** Only these steps (a run's selection); default all. */
  steps?: readonly string[];
  /** Type-check TypeScript function modules (default true). */
  typecheck?: boolean;
  /** Where type-check results are kept between runs. */
  cacheDir?: string;
  /** Where objects read from S3 or Azure are cached (the run's own cache, so it finds them there). */
  objectCacheDir?: string;
}

export interface DryRunResult {
  problems: ConfigProblem[];
  /** What could not be checked, and why (not failures). */
  notes: ConfigProblem[];
  /** Columns of each dataset whose columns are known before running. */
  schemas: ReadonlyMap<string, ColumnSchema[]>;
  /**
   * Steps whose SQL reads through a table function (`read_csv('x.csv')`, `read_text`…): what they
   * read is named inside the SQL, not by the step, so a check of them holds only for now.
   */
  readsOutside: string[];
  /** The local files the function modules checked are built from (their own and what they import). */
  sources: string[];
}

/** Table functions that read nothing outside the query. */
const PURE_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest']);

/** Why a dataset's columns are unknown until it runs: the step that makes them. */
type Unknown = { step: string; why: string };

interface DryCtx {
  /** Parse trees of the dry run's SQL steps, by SQL text (see readSqlStructures). */
  parsed: ReadonlyMap<string, SqlStructure | SqlSyntaxError>;
  /** Datasets whose zero-row table binding the step's SQL already made. */
  created: Set<string>;
  /** Files function modules are built from. */
  sources: Set<string>;
}

async function structure(session: Session, sql: string, ctx: DryCtx): Promise<SqlStructure | SqlSyntaxError> {
  return ctx.parsed.get(sql) ?? readSqlStructure((q) => session.query(q), sql);
}

export async function dryRun(pipeline: Pipeline, options: DryRunOptions = {}): Promise<DryRunResult> {
  // Steps whose own check failed are not here; what reads their outputs is checked as far as it can be.
  const produced = new Set(pipeline.steps.flatMap((s) => Object.values(s.outputs)));
  const dangling = new Set(pipeline.steps.flatMap((s) => Object.values(s.inputs)).filter((k) => !produced.has(k)));
  const { dag } = buildDag(pipeline.steps, new Map(), dangling);
  const problems: ConfigProblem[] = [];
  const notes: ConfigProblem[] = [];
  const schemas = new Map<string, ColumnSchema[]>();
  const unknown = new Map<string, Unknown>();
  const readsOutside: string[] = [];
  const sources = new Set<string>();
  if (!dag) return { problems, notes, schemas, readsOutside, sources: [] };
  const selected = options.steps ? new Set(options.steps) : undefined;
  const engine = await DuckDBEngine.create({ baseDir: pipeline.baseDir, threads: 1 });
  const session = await engine.session();
  try {
    // Every SQL step parsed in one round trip; a step then finds its tree in `parsed`.
    const sqlSteps = dag.order.filter((n) => !selected || selected.has(n)).map((n) => dag.steps.get(n)!).filter((s) => s.type === 'sql' && !s.params.connection);
    const ctx: DryCtx = { created: new Set(), sources, parsed: await readSqlStructures((q) => session.query(q), sqlSteps.map((s) => s.value)).catch(() => new Map()) };
    for (const s of sqlSteps) {
      const parsed = ctx.parsed.get(s.value);
      // An ingest has no inputs: any table it names (FROM 'x.csv' included) is outside the pipeline.
      const outside = !parsed?.ok || parsed.tableFunctions.some((f) => !PURE_TABLE_FUNCTIONS.has(f)) || (s.layer === 'ingest' && parsed.tables.length > 0);
      if (outside) readsOutside.push(s.name);
    }
    for (const name of dag.order) {
      if (selected && !selected.has(name)) continue;
      const step = dag.steps.get(name)!;
      const at = { step: name, file: step.origin.file, line: step.origin.line, row: step.origin.row };
      const report = { problem: (message: string, hint?: string) => problems.push({ message, hint, ...at }), note: (message: string) => notes.push({ message, ...at }) };
      let out: ColumnSchema[] | Unknown | undefined;
      try {
        out = await checkStep(step, pipeline, session, schemas, unknown, report, options, ctx);
      } catch (err) {
        report.problem(`cannot be checked: ${(err as Error).message}`);
      }
      for (const key of Object.values(step.outputs)) {
        if (Array.isArray(out)) {
          schemas.set(key, out);
          // A SQL step's binding already left its zero-row table behind (Session.createEmpty).
          if (!ctx.created.has(key)) await session.writeColumns(key, { schema: out, columns: out.map(() => []), rowCount: 0 });
        } else if (out) {
          unknown.set(key, out);
        } else {
          // The step failed its check: what reads it is not checked again for that.
          unknown.set(key, { step: name, why: 'failed its check' });
        }
      }
    }
  } finally {
    session.close();
    engine.close();
  }
  return { problems, notes, schemas, readsOutside, sources: [...sources] };
}

interface Report {
  problem(message: string, hint?: string): void;
  note(message: string): void;
}

/** The step's output columns if they can be known now, why not if they cannot, undefined if it failed. */
async function checkStep(
  step: StepConfig, pipeline: Pipeline, session: Session, schemas: Map<string, ColumnSchema[]>, unknown: Map<string, Unknown>, report: Report, options: DryRunOptions, ctx: DryCtx,
): Promise<ColumnSchema[] | Unknown | undefined> {
  const later = (why: string): Unknown => ({ step: step.name, why });
  if (step.type === 'function') {
    const found = await checkFunctionModule(pipeline.baseDir, step.value, {
      typecheck: options.typecheck, cacheDir: options.cacheDir, onSources: (files) => files.forEach((f) => ctx.sources.add(f)),
    });
    for (const p of found) report.problem(p.message, p.hint);
    return found.length ? undefined : later('is a function step, whose columns are known only once it runs');
  }
  switch (step.layer) {
    case 'ingest':
      if (step.params.stream !== undefined) return later('streams its input');
      if (step.type === 'api') return later('reads an API');
      if (step.type === 'sql') {
        if (step.params.connection) return later(`reads connection '${String(step.params.connection)}'`);
        return bindSql(step, session, {}, report, ctx);
      }
      return sniffFile(step, pipeline, session, report, options);
    case 'transform': {
      const structure = await checkSqlTables(step, session, report, ctx);
      if (!structure) return undefined;
      const waiting = Object.values(step.inputs).map((k) => unknown.get(k)).find(Boolean);
      if (waiting) {
        if (waiting.why !== 'failed its check') report.note(`its SQL was parsed but not bound to columns: step '${waiting.step}' ${waiting.why}`);
        return waiting.why === 'failed its check' ? undefined : later(`reads step '${waiting.step}', which ${waiting.why}`);
      }
      const missing = Object.values(step.inputs).filter((k) => !schemas.has(k));
      if (missing.length) return later(`reads ${missing.join(', ')}, not checked here`);
      return bindSql(step, session, step.inputs, report, ctx);
    }
    case 'connect':
      if (isObjectConnect(step)) await checkReachable(() => locateConnection(pipeline, step), report);
      return [];
    case 'store':
    case 'publish':
      // An output on a store: its bucket is there and the credentials may list it (a write that
      // would fail only after all the compute fails here).
      if (typeof step.params.url !== 'string' && step.type !== 'api' && onObjectStore(pipeline, step)) await checkReachable(() => locate(pipeline, step, step.value.replace(/[^/]*\/*$/, '')), report);
      return [];
    default:
      return [];
  }
}

/**
 * An input file exists (a glob matches) and DuckDB can read it: its columns, by sniffing. An object
 * on S3 or Azure is fetched into the object cache as the run would fetch it (the run then finds it
 * there, unchanged by ETag), so a missing object, bucket or credential fails here.
 */
async function sniffFile(step: StepConfig, pipeline: Pipeline, session: Session, report: Report, options: DryRunOptions): Promise<ColumnSchema[] | Unknown | undefined> {
  let format;
  try {
    format = formatOf(step.name, step.value, step.params.format);
  } catch (err) {
    report.problem((err as Error).message, (err as { hint?: string }).hint);
    return undefined;
  }
  if (onObjectStore(pipeline, step)) return sniffObjects(step, pipeline, session, report, options, format);
  const source = resolvePath(pipeline, step.value);
  if (isUrl(source)) return { step: step.name, why: 'reads a URL' };
  const glob = /[*?[]/.test(source);
  const found = glob
    ? Number((await session.query(`SELECT count(*) AS n FROM glob(${str(source)})`))[0].n) > 0
    : await access(source).then(() => true, () => false);
  if (!found) {
    report.problem(glob ? `no file matches the input ${source}` : `input file not found: ${source}`, `paths are relative to the config folder ${pipeline.baseDir}`);
    return undefined;
  }
  // Read against a schema, the columns are the schema's: a run reads nothing else (bad rows aside).
  const schema = declaredSchema(step);
  if (schema) return schema;
  const reader = readerFor(format);
  const readerOptions = (step.params.options ?? {}) as Record<string, unknown>;
  const trouble = format === 'csv' ? await sniffedCsvTrouble(session, source, readerOptions) : undefined;
  if (trouble) {
    report.problem(trouble, 'give the step params.schema: its bad rows are then reported by file:line, column and reason');
    return undefined;
  }
  try {
    return await session.describeSelect(`SELECT * FROM ${reader.fn}(${str(source)}${namedArgs({ ...reader.defaults, ...readerOptions })})`);
  } catch (err) {
    report.problem(`cannot read ${source} as ${format}: ${firstLine(err)}`, 'check params.format and params.options (DuckDB reader options)');
    return undefined;
  }
}

async function sniffObjects(step: StepConfig, pipeline: Pipeline, session: Session, report: Report, options: DryRunOptions, format: FileFormat): Promise<ColumnSchema[] | undefined> {
  let files: string[];
  try {
    const loc = await locate(pipeline, step);
    files = loc ? (await localCopies(loc, options.objectCacheDir ?? defaultObjectCacheDir())).map((c) => c.file) : [];
  } catch (err) {
    report.problem(firstLine(err), (err as { hint?: string }).hint);
    return undefined;
  }
  const schema = declaredSchema(step);
  if (schema) return schema;
  try {
    return await session.describeSelect(readFilesSql(format, files, (step.params.options ?? {}) as Record<string, unknown>));
  } catch (err) {
    report.problem(`cannot read ${step.value} as ${format}: ${firstLine(err)}`, 'check params.format and params.options (DuckDB reader options)');
    return undefined;
  }
}

/** An ingest's params.schema as columns, with DuckDB's spelling of each type (so a typo is a problem here). */
function declaredSchema(step: StepConfig): ColumnSchema[] | undefined {
  const schema = step.params.schema;
  if (!schema || typeof schema !== 'object') return undefined;
  return Object.entries(schema as Record<string, string>).map(([name, type]) => ({ name, type: String(type).toUpperCase() }));
}

/** An object-store location (a connect step's, an output's folder) can be reached and listed. */
async function checkReachable(where: () => Promise<ObjectLocation | undefined>, report: Report): Promise<void> {
  try {
    const loc = await where();
    if (loc) await probe(loc);
  } catch (err) {
    report.problem(firstLine(err), (err as { hint?: string }).hint);
  }
}

/**
 * The SQL parses, and every table it reads is one of the step's inputs (a name not among them
 * would fail at run time). Returns undefined when it does not.
 */
async function checkSqlTables(step: StepConfig, session: Session, report: Report, ctx: DryCtx): Promise<true | undefined> {
  const s = await structure(session, step.value, ctx);
  if (!s.ok) {
    report.problem(`SQL syntax error${describePosition(s)}: ${s.message}`, 'fix the SQL in the step\'s value');
    return undefined;
  }
  const aliases = Object.keys(step.inputs);
  let ok = true;
  for (const t of s.tables) {
    if (t.schema !== undefined || t.catalog !== undefined) continue;
    if (aliases.some((a) => a.toLowerCase() === t.name.toLowerCase())) continue;
    const near = closest(t.name, aliases);
    report.problem(`the SQL reads '${t.name}'${describePosition(t)}, which is not one of this step's inputs`,
      near ? `did you mean '${near}'?` : `add it to the step's inputs, e.g. "inputs": {"${t.name}": "<dataset key>"}${aliases.length ? ` (inputs now: ${aliases.join(', ')})` : ''}`);
    ok = false;
  }
  return ok ? true : undefined;
}

/** Binds the step's SQL against its inputs' columns (zero-row tables): its output columns. */
async function bindSql(step: StepConfig, session: Session, inputs: Readonly<Record<string, string>>, report: Report, ctx: DryCtx): Promise<ColumnSchema[] | undefined> {
  if (step.layer === 'ingest') {
    const s = await structure(session, step.value, ctx);
    if (!s.ok) {
      report.problem(`SQL syntax error${describePosition(s)}: ${s.message}`, 'fix the SQL in the step\'s value');
      return undefined;
    }
  }
  try {
    // Bound and kept as the zero-row table the next steps bind against, in one statement.
    const key = Object.values(step.outputs)[0];
    if (key === undefined || Object.keys(step.outputs).length !== 1) return await session.describeSelect(step.value, inputs);
    const columns = await session.createEmpty(key, step.value, inputs);
    ctx.created.add(key);
    return columns;
  } catch (err) {
    const columns = new Map<string, string[] | undefined>();
    for (const [alias, key] of Object.entries(inputs)) {
      const described = await session.describe(datasetTable(key)).catch(() => undefined);
      columns.set(alias, described?.map((c) => c.name));
    }
    const e = explainSqlError((err as Error).message, { sql: step.value, tables: columns });
    report.problem(`${e.message}${describePosition(e)}`, e.hint);
    return undefined;
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0].replace(/^\w+ Error: /, '');
}
