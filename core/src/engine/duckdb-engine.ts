/**
 * The DuckDB engine: one in-process database per run. Every dataset is a table in schema
 * `odibi_data` of that database, so data stays inside DuckDB between SQL steps. Each step attempt
 * gets its own connection (a Session) so steps run in parallel and their input aliases, bound as
 * temporary views, never collide.
 */
import {
  DuckDBDataChunk, DuckDBInstance, JSToDuckDBValueConverter,
  type DuckDBConnection, type DuckDBType,
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
  /** DuckDB worker threads; default: DuckDB's own (all cores). */
  threads?: number;
  memoryLimit?: string;
}

const DATA_SCHEMA = 'odibi_data';
/** The catalog of an in-memory database; qualified names survive a `USE other_db`. */
const CATALOG = 'memory';
const CHUNK_ROWS = 2048;

export function datasetTable(key: string): string {
  return `${CATALOG}.${DATA_SCHEMA}.${ident(key)}`;
}

export class DuckDBEngine {
  readonly #instance: DuckDBInstance;
  readonly #sessions = new Set<Session>();

  private constructor(instance: DuckDBInstance) {
    this.#instance = instance;
  }

  static async create(options: EngineOptions): Promise<DuckDBEngine> {
    const config: Record<string, string> = {};
    if (options.threads) config.threads = String(options.threads);
    if (options.memoryLimit) config.memory_limit = options.memoryLimit;
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
    const s = new Session(await this.#instance.connect(), () => this.#sessions.delete(s));
    this.#sessions.add(s);
    return s;
  }

  close(): void {
    for (const s of this.#sessions) s.close();
    this.#instance.closeSync();
  }
}

export class Session {
  readonly conn: DuckDBConnection;
  readonly #onClose: () => void;
  #closed = false;

  constructor(conn: DuckDBConnection, onClose: () => void) {
    this.conn = conn;
    this.#onClose = onClose;
  }

  async run(sql: string): Promise<void> {
    await this.conn.run(sql);
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  }

  /** Makes each input dataset readable under its alias for the SQL of this session only. */
  async bindInputs(inputs: Readonly<Record<string, string>>): Promise<void> {
    for (const [alias, key] of Object.entries(inputs)) {
      await this.run(`CREATE OR REPLACE TEMP VIEW ${ident(alias)} AS SELECT * FROM ${datasetTable(key)}`);
    }
  }

  /** Runs a query and stores its result as dataset `key`. Returns the row count. */
  async materialize(key: string, selectSql: string): Promise<number> {
    const reader = await this.conn.runAndReadAll(`CREATE OR REPLACE TABLE ${datasetTable(key)} AS ${stripTrailingSemicolons(selectSql)}`);
    const rows = reader.getRows();
    return rows.length && rows[0].length ? Number(rows[0][0]) : this.count(key);
  }

  async drop(key: string): Promise<void> {
    await this.run(`DROP TABLE IF EXISTS ${datasetTable(key)}`);
  }

  async count(key: string): Promise<number> {
    const r = await this.conn.runAndReadAll(`SELECT count(*) FROM ${datasetTable(key)}`);
    return Number(r.getRows()[0][0]);
  }

  async describe(relation: string): Promise<ColumnSchema[]> {
    const r = await this.conn.runAndReadAll(`SELECT * FROM ${relation} LIMIT 0`);
    return r.columnNames().map((name, i) => ({ name, type: r.columnTypes()[i].toString() }));
  }

  async schemaOf(key: string): Promise<ColumnSchema[]> {
    return this.describe(datasetTable(key));
  }

  /** First rows of a dataset as JSON-safe objects. */
  async sample(key: string, n: number): Promise<Record<string, unknown>[]> {
    const rows = await this.query(`SELECT * FROM ${datasetTable(key)} LIMIT ${Math.max(0, Math.floor(n))}`);
    return rows.map(jsonSafeRow);
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
    if (!this.#closed) this.conn.interrupt();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.conn.closeSync();
    this.#onClose();
  }
}
