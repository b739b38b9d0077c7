/**
 * The DuckDB engine: one in-process database per run. Every dataset is a table in schema
 * `odibi_data` of that database, so data stays inside DuckDB between SQL steps. Each step attempt
 * gets its own connection (a Session) so steps run in parallel and their input aliases, bound as
 * temporary views, never collide.
 */
import {
  DuckDBDataChunk, DuckDBInstance, JSDuckDBValueConverter, JSToDuckDBValueConverter,
  type DuckDBConnection, type DuckDBMaterializedResult, type DuckDBType,
} from '@duckdb/node-api';
import { ident, str, stripTrailingSemicolons } from './sql.js';
import { jsonSafeRow } from './values.js';

export interface ColumnSchema {
  name: string;
  type: string;
}

/** Column-wise data in plain JS values (number, bigint, string, boolean, Date, null). */
export interface JsColumns {
  schema: ColumnSchema[];
  columns: unknown[][];
  rowCount: number;
}

export interface EngineOptions {
  /** Relative file paths inside SQL resolve against this folder (the config's). */
  baseDir: string;
  /** DuckDB worker threads; default: `ODIBI_DUCKDB_THREADS`, else DuckDB's own (all cores). */
  threads?: number;
  /** DuckDB's memory_limit (e.g. `2GB`); default: `ODIBI_DUCKDB_MEMORY_LIMIT`, else DuckDB's (80% of RAM). */
  memoryLimit?: string;
}

const DATA_SCHEMA = 'odibi_data';
/** The catalog of an in-memory database; qualified names survive a `USE other_db`. */
const CATALOG = 'memory';
const CHUNK_ROWS = 2048;

/**
 * A whole result, read from DuckDB's materialized chunks synchronously. `conn.run` already holds
 * every row; the reader API (`runAndReadAll`) would ask for them again chunk by chunk, one trip to
 * the thread pool each, which on a DAG of small steps is a large share of a step's cost.
 */
interface ReadResult {
  schema: ColumnSchema[];
  rows: Record<string, unknown>[];
}

function readResult(result: DuckDBMaterializedResult): ReadResult {
  const types = result.columnTypes();
  const schema = result.columnNames().map((name, i) => ({ name, type: types[i].toString() }));
  const names = result.deduplicatedColumnNames();
  const rows: Record<string, unknown>[] = [];
  for (let c = 0; c < result.chunkCount; c++) {
    for (const values of result.getChunk(c).convertRows(JSDuckDBValueConverter)) {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < names.length; i++) row[names[i]] = values[i];
      rows.push(row);
    }
  }
  return { schema, rows };
}

/** The first value of a result (a count), or undefined when it has none. */
function firstValue(result: DuckDBMaterializedResult): unknown {
  if (result.chunkCount === 0) return undefined;
  const chunk = result.getChunk(0);
  return chunk.rowCount && chunk.columnCount ? chunk.getColumnVector(0).getItem(0) : undefined;
}

/** Schema and JSON-safe rows of a result (DATE values as calendar days). */
function snapshotOf(result: DuckDBMaterializedResult): { schema: ColumnSchema[]; sample: Record<string, unknown>[] } {
  const { schema, rows } = readResult(result);
  const dates = schema.filter((c) => c.type === 'DATE').map((c) => c.name);
  const sample = rows.map((row) => {
    const safe = jsonSafeRow(row);
    for (const d of dates) if (typeof safe[d] === 'string') safe[d] = (safe[d] as string).slice(0, 10);
    return safe;
  });
  return { schema, sample };
}

export function datasetTable(key: string): string {
  return `${CATALOG}.${DATA_SCHEMA}.${ident(key)}`;
}

export class DuckDBEngine {
  readonly #instance: DuckDBInstance;
  readonly #sessions = new Set<Session>();
  /** Connections returned by finished steps, reused: opening one per step costs more than a tiny query. */
  readonly #idle: DuckDBConnection[] = [];
  #closed = false;

  private constructor(instance: DuckDBInstance) {
    this.#instance = instance;
  }

  static async create(options: EngineOptions): Promise<DuckDBEngine> {
    const config: Record<string, string> = {};
    // The environment sets limits for every DuckDB a process starts (a sandboxed kernel and the
    // `odibi` commands it runs); an explicit option wins.
    const threads = options.threads ?? (Number(process.env.ODIBI_DUCKDB_THREADS) || undefined);
    const memoryLimit = options.memoryLimit ?? (process.env.ODIBI_DUCKDB_MEMORY_LIMIT || undefined);
    if (threads) config.threads = String(threads);
    if (memoryLimit) config.memory_limit = memoryLimit;
    const instance = await DuckDBInstance.create(':memory:', config);
    const engine = new DuckDBEngine(instance);
    const s = await engine.session();
    try {
      await s.run(`CREATE SCHEMA IF NOT EXISTS ${CATALOG}.${DATA_SCHEMA}`);
      await s.run(`SET GLOBAL file_search_path = ${str(options.baseDir)}`);
    } finally {
      s.close();
    }
    return engine;
  }

  async session(): Promise<Session> {
    const conn = this.#idle.pop() ?? (await this.#instance.connect());
    const s = new Session(conn, (reusable) => {
      this.#sessions.delete(s);
      if (reusable && !this.#closed) this.#idle.push(conn);
      else conn.closeSync();
    });
    this.#sessions.add(s);
    return s;
  }

  close(): void {
    this.#closed = true;
    for (const s of this.#sessions) s.close();
    for (const c of this.#idle.splice(0)) c.closeSync();
    this.#instance.closeSync();
  }
}

export class Session {
  readonly conn: DuckDBConnection;
  readonly #onClose: (reusable: boolean) => void;
  #interrupted = false;
  readonly #counts = new Map<string, number>();
  readonly #snapshots = new Map<string, { n: number; rows: number; schema: ColumnSchema[]; sample: Record<string, unknown>[] }>();
  #closed = false;

  constructor(conn: DuckDBConnection, onClose: (reusable: boolean) => void) {
    this.conn = conn;
    this.#onClose = onClose;
  }

  async run(sql: string): Promise<void> {
    await this.conn.run(sql);
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    return readResult(await this.conn.run(sql)).rows;
  }

  /**
   * Runs a query and stores its result as dataset `key`; returns the row count. `inputs` (alias →
   * dataset key) become non-materialized CTEs around the query, so its table names are the aliases
   * without any per-step state: one statement, nothing to clean up, nothing shared between steps.
   */
  async materialize(key: string, selectSql: string, inputs: Readonly<Record<string, string>> = {}): Promise<number> {
    const created = await this.#withInputs(selectSql, inputs, (body) => this.conn.run(`CREATE OR REPLACE TABLE ${datasetTable(key)} AS ${body}`));
    const stored = firstValue(created);
    const count = stored === undefined ? await this.count(key) : Number(stored);
    this.#counts.set(key, count);
    return count;
  }

  /**
   * `materialize`, and the tracker's snapshot of the new table (`snapshot(key, n)` then answers
   * without a query). The count comes from CREATE TABLE's own answer; a count riding along with
   * the sample as a scalar subquery costs DuckDB a second pipeline, more than the trip it saves.
   */
  async materializeWithSnapshot(key: string, selectSql: string, inputs: Readonly<Record<string, string>>, n: number): Promise<number> {
    const count = await this.materialize(key, selectSql, inputs);
    const limit = Math.max(0, Math.floor(n));
    const shot = snapshotOf(await this.conn.run(`SELECT * FROM ${datasetTable(key)} LIMIT ${limit}`));
    this.#snapshots.set(key, { n: limit, rows: count, schema: shot.schema, sample: shot.sample });
    return count;
  }

  /**
   * Defines dataset `key` as a view of the query, inputs bound as `materialize` binds them: no row
   * is read now, and the one step that reads the view runs this query inside its own (fusion).
   * Returns the view's columns, as DuckDB binds it now (never a dry run's, which saw no rows).
   */
  async defineView(key: string, selectSql: string, inputs: Readonly<Record<string, string>> = {}): Promise<ColumnSchema[]> {
    const t = datasetTable(key);
    // LIMIT 0 reads no row: DuckDB binds the view and says its columns, in the same round trip.
    // (Not duckdb_columns(): it lists every column of every dataset, which grows with the run; not
    // pragma_table_info: it spells STRUCT types unlike the result types every table's schema uses.)
    const result = await this.#withInputs(selectSql, inputs, (body) => this.conn.run(`CREATE OR REPLACE VIEW ${t} AS ${body};\nSELECT * FROM ${t} LIMIT 0`));
    return readResult(result).schema;
  }

  /**
   * The columns a query would produce, bound by DuckDB exactly as `materialize` would run it
   * (same input binding) but without reading any row: a dry run's check of a step's SQL.
   */
  async describeSelect(selectSql: string, inputs: Readonly<Record<string, string>> = {}): Promise<ColumnSchema[]> {
    return readResult(await this.#withInputs(selectSql, inputs, (body) => this.conn.run(`SELECT * FROM (${body}) LIMIT 0`))).schema;
  }

  /**
   * Binds a query as `describeSelect` does and keeps its result's shape as an empty dataset `key`,
   * in one round trip: what a dry run does for every SQL step, so the next ones bind against it.
   */
  async createEmpty(key: string, selectSql: string, inputs: Readonly<Record<string, string>> = {}): Promise<ColumnSchema[]> {
    const t = datasetTable(key);
    return readResult(await this.#withInputs(selectSql, inputs, (body) => this.conn.run(`CREATE OR REPLACE TABLE ${t} AS SELECT * FROM (${body}) LIMIT 0;\nSELECT * FROM ${t} LIMIT 0`))).schema;
  }

  /** Rows of a query with `inputs` bound as `materialize` binds them (a data check's). */
  async queryWith(selectSql: string, inputs: Readonly<Record<string, string>> = {}): Promise<Record<string, unknown>[]> {
    return this.#withInputs(selectSql, inputs, async (body) => readResult(await this.conn.run(body)).rows);
  }

  /** The first `n` rows of a query, JSON-safe (as a tracker sample), inputs bound as `materialize` binds them. */
  async sampleOf(selectSql: string, inputs: Readonly<Record<string, string>>, n: number): Promise<Record<string, unknown>[]> {
    return this.#withInputs(selectSql, inputs, async (body) => snapshotOf(await this.conn.run(`SELECT * FROM (${body}) LIMIT ${Math.max(0, Math.floor(n))}`)).sample);
  }

  /**
   * The operators of DuckDB's physical plan for a query (inputs bound as `materialize` binds them),
   * depth first, with the optimizer off: the plan then follows the query as written, rather than
   * what an empty input lets the optimizer fold it to.
   */
  async planOperators(selectSql: string, inputs: Readonly<Record<string, string>> = {}): Promise<string[]> {
    await this.conn.run('PRAGMA disable_optimizer');
    try {
      const rows = await this.#withInputs(selectSql, inputs, async (body) => readResult(await this.conn.run(`EXPLAIN (FORMAT json) ${body}`)).rows);
      type PlanNode = { name: string; children?: PlanNode[] };
      const out: string[] = [];
      const walk = (n: PlanNode) => {
        out.push(n.name);
        for (const c of n.children ?? []) walk(c);
      };
      for (const r of rows) for (const n of JSON.parse(String(r.explain_value)) as PlanNode[]) walk(n);
      return out;
    } finally {
      await this.conn.run('PRAGMA enable_optimizer');
    }
  }

  /**
   * Runs `use(statement)` on the user's query with `inputs` (alias → dataset key) bound as
   * non-materialized CTEs around it, so its table names are the aliases. The user's SQL starts on
   * a line of its own, so DuckDB's "LINE n" context shows only their SQL; the line numbers in an
   * error are put back to theirs.
   */
  async #withInputs<T>(selectSql: string, inputs: Readonly<Record<string, string>>, use: (body: string) => Promise<T>): Promise<T> {
    const query = stripTrailingSemicolons(selectSql);
    const ctes = Object.entries(inputs).map(([alias, k]) => `${ident(alias)} AS NOT MATERIALIZED (SELECT * FROM ${datasetTable(k)})`);
    const body = ctes.length ? `WITH ${ctes.join(', ')} SELECT * FROM (\n${query}\n)` : `\n${query}\n`;
    try {
      return await use(body);
    } catch (err) {
      if (err instanceof Error) err.message = err.message.replace(/LINE (\d+):/g, (_m, n: string) => `LINE ${Math.max(1, Number(n) - 1)}:`);
      throw err;
    }
  }

  async count(key: string): Promise<number> {
    return Number(firstValue(await this.conn.run(`SELECT count(*) FROM ${datasetTable(key)}`)));
  }

  async describe(relation: string): Promise<ColumnSchema[]> {
    return readResult(await this.conn.run(`SELECT * FROM ${relation} LIMIT 0`)).schema;
  }

  /**
   * What the tracker records of a dataset: its schema, first `n` rows (JSON-safe; DATE values as
   * calendar days) and row count. One query; the count comes free when this session wrote it.
   */
  async snapshot(key: string, n: number): Promise<{ rows: number; schema: ColumnSchema[]; sample: Record<string, unknown>[] }> {
    const taken = this.#snapshots.get(key);
    if (taken && taken.n === Math.max(0, Math.floor(n))) return { rows: taken.rows, schema: taken.schema, sample: taken.sample };
    const shot = snapshotOf(await this.conn.run(`SELECT * FROM ${datasetTable(key)} LIMIT ${Math.max(0, Math.floor(n))}`));
    return { rows: this.#counts.get(key) ?? (await this.count(key)), ...shot };
  }

  /** Reads a relation (a dataset table, view or subquery) column-wise as JS values. */
  async readColumns(relation: string): Promise<JsColumns> {
    const r = await this.conn.runAndReadAll(`SELECT * FROM ${relation}`);
    const schema = r.columnNames().map((name, i) => ({ name, type: r.columnTypes()[i].toString() }));
    return { schema, columns: r.getColumnsJS() as unknown[][], rowCount: r.currentRowCount };
  }

  async readRows(relation: string): Promise<Record<string, unknown>[]> {
    return this.query(`SELECT * FROM ${relation}`);
  }

  /** Stores JS columns as dataset `key` with the given DuckDB column types. */
  async writeColumns(key: string, data: JsColumns): Promise<number> {
    await this.writeColumnsTo(datasetTable(key), data, { catalog: CATALOG, schema: DATA_SCHEMA, table: key });
    this.#counts.set(key, data.rowCount);
    return data.rowCount;
  }

  /** Creates (replacing) a table and appends JS columns to it through DuckDB's appender. */
  async writeColumnsTo(qualified: string, data: JsColumns, target: { catalog: string; schema: string; table: string }): Promise<void> {
    if (data.schema.length === 0) throw new Error('cannot store a table without columns');
    const cols = data.schema.map((c) => `${ident(c.name)} ${c.type}`).join(', ');
    await this.run(`CREATE OR REPLACE TABLE ${qualified} (${cols})`);
    if (data.rowCount === 0) return;
    const appender = await this.conn.createAppender(target.table, target.schema, target.catalog);
    try {
      const types: DuckDBType[] = [];
      for (let i = 0; i < appender.columnCount; i++) types.push(appender.columnType(i));
      for (let start = 0; start < data.rowCount; start += CHUNK_ROWS) {
        const end = Math.min(start + CHUNK_ROWS, data.rowCount);
        const chunk = DuckDBDataChunk.create(types, end - start);
        data.columns.forEach((col, i) => {
          chunk.setColumnValuesConverted(i, col.slice(start, end) as never[], JSToDuckDBValueConverter);
        });
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  /** COPY a dataset to a file. `options` are COPY options such as `FORMAT parquet`. */
  async copyTo(key: string, file: string, options: string): Promise<void> {
    await this.run(`COPY (SELECT * FROM ${datasetTable(key)}) TO ${str(file)} (${options})`);
  }

  interrupt(): void {
    if (this.#closed) return;
    this.#interrupted = true;
    this.conn.interrupt();
  }

  /** Ends the session; its connection goes back to the pool unless it was interrupted. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose(!this.#interrupted);
  }
}
