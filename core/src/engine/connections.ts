/**
 * Named connections declared by connect steps: a DuckDB file (ATTACHed to the run database), a
 * SQLite file (through sql.js, no native build) or PostgreSQL (through `pg`). Ingest steps run a
 * query on one; store steps write a table to one. Writes become visible when the run commits.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type { Database } from 'sql.js';
import { loadSqlJs } from '../shared/sqljs.js';
import { datasetTable, type ColumnSchema, type JsColumns, type Session } from './duckdb-engine.js';
import { rowsToColumns } from './js-columns.js';
import { ident, str, stripTrailingSemicolons } from './sql.js';
import { stageFile, type StagedAction } from './staging.js';

export type ConnectionKind = 'duckdb' | 'sqlite' | 'postgres';
export type WriteMode = 'overwrite' | 'append';

export interface Connection {
  readonly name: string;
  readonly kind: ConnectionKind;
  /** Runs `sql` on the connection; the result becomes dataset `key` of the run database. */
  ingest(session: Session, sql: string, key: string): Promise<number>;
  /** Writes dataset `key` to `table`; visible once the returned action commits. */
  store(session: Session, key: string, table: string, mode: WriteMode, runId: string): Promise<StagedAction>;
  close(): Promise<void>;
}

export interface ConnectionSpec {
  name: string;
  /** File path (already resolved) or URL. */
  target: string;
  kind?: string;
  /** Opens a session on the run database (for ATTACH and deferred writes). */
  openSession: () => Promise<Session>;
}

export function detectKind(target: string, declared?: string): ConnectionKind {
  const d = declared?.toLowerCase();
  if (d === 'duckdb' || d === 'sqlite' || d === 'postgres') return d;
  if (d === 'postgresql' || d === 'pg') return 'postgres';
  if (/^postgres(ql)?:\/\//i.test(target)) return 'postgres';
  const ext = path.extname(target).toLowerCase();
  if (ext === '.duckdb' || ext === '.ddb') return 'duckdb';
  if (['.sqlite', '.sqlite3', '.db'].includes(ext)) {
    // ".db" is used by both; an existing file's header decides.
    if (ext === '.db' && existsSync(target)) {
      return readFileHead(target).startsWith('SQLite format 3') ? 'sqlite' : 'duckdb';
    }
    return 'sqlite';
  }
  throw new Error(`cannot tell the connection type of '${target}'; set params.type to duckdb, sqlite or postgres`);
}

function readFileHead(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(16);
    readSync(fd, buf, 0, 16, 0);
    return buf.toString('latin1');
  } finally {
    closeSync(fd);
  }
}

export async function openConnection(spec: ConnectionSpec): Promise<Connection> {
  const kind = detectKind(spec.target, spec.kind);
  if (kind === 'duckdb') return DuckDBFileConnection.open(spec);
  if (kind === 'sqlite') return SqliteConnection.open(spec);
  return PostgresConnection.open(spec);
}

/* ---------------------------------- DuckDB file ---------------------------------- */

class DuckDBFileConnection implements Connection {
  readonly kind = 'duckdb' as const;
  constructor(readonly name: string, private readonly catalog: string, private readonly openSession: () => Promise<Session>) {}

  static async open(spec: ConnectionSpec): Promise<Connection> {
    const catalog = `conn_${spec.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
    await mkdir(path.dirname(spec.target), { recursive: true });
    const s = await spec.openSession();
    try {
      await s.run(`ATTACH ${str(spec.target)} AS ${ident(catalog)}`);
    } finally {
      s.close();
    }
    return new DuckDBFileConnection(spec.name, catalog, spec.openSession);
  }

  async ingest(session: Session, sql: string, key: string): Promise<number> {
    await session.run(`USE ${ident(this.catalog)}`);
    try {
      return await session.materialize(key, sql);
    } finally {
      await session.run('USE memory');
    }
  }

  async store(session: Session, key: string, table: string, mode: WriteMode): Promise<StagedAction> {
    const target = `${ident(this.catalog)}.${qualifiedTable(table)}`;
    // Fail now (wrong schema name, bad table name) rather than at commit.
    await session.describe(datasetTable(key));
    const sql = mode === 'overwrite'
      ? `CREATE OR REPLACE TABLE ${target} AS SELECT * FROM ${datasetTable(key)}`
      : `CREATE TABLE IF NOT EXISTS ${target} AS SELECT * FROM ${datasetTable(key)} LIMIT 0; INSERT INTO ${target} SELECT * FROM ${datasetTable(key)}`;
    return {
      target: `${this.name}:${table}`,
      commit: async () => {
        const s = await this.openSession();
        try {
          await s.run('BEGIN TRANSACTION');
          try {
            await s.run(sql);
            await s.run('COMMIT');
          } catch (err) {
            await s.run('ROLLBACK').catch(() => undefined);
            throw err;
          }
        } finally {
          s.close();
        }
      },
      rollback: async () => undefined,
    };
  }

  async close(): Promise<void> {
    const s = await this.openSession();
    try {
      await s.run(`DETACH ${ident(this.catalog)}`);
    } catch {
      // Detaching at the end of a run is best effort; the instance closes right after.
    } finally {
      s.close();
    }
  }
}

function qualifiedTable(table: string): string {
  return table.split('.').map(ident).join('.');
}

/* ------------------------------------ SQLite ------------------------------------- */

class SqliteConnection implements Connection {
  readonly kind = 'sqlite' as const;
  #dirty = false;
  #flushed: Promise<void> | undefined;
  constructor(readonly name: string, private readonly file: string, private readonly db: Database) {}

  static async open(spec: ConnectionSpec): Promise<Connection> {
    const SQL = await loadSqlJs();
    const db = existsSync(spec.target) ? new SQL.Database(await readFile(spec.target)) : new SQL.Database();
    return new SqliteConnection(spec.name, spec.target, db);
  }

  async ingest(session: Session, sql: string, key: string): Promise<number> {
    const results = this.db.exec(stripTrailingSemicolons(sql));
    const last = results[results.length - 1];
    if (!last) throw new Error('the query returned no result set');
    const rows = last.values.map((v) => Object.fromEntries(last.columns.map((c, i) => [c, v[i]])));
    const data = rows.length ? rowsToColumns(rows) : { schema: last.columns.map((name) => ({ name, type: 'VARCHAR' })), columns: last.columns.map(() => []), rowCount: 0 };
    return session.writeColumns(key, data);
  }

  async store(session: Session, key: string, table: string, mode: WriteMode, runId: string): Promise<StagedAction> {
    const data = await session.readColumns(datasetTable(key));
    const cols = data.schema.map((c) => `${ident(c.name)} ${sqliteType(c.type)}`).join(', ');
    const rows = data.rowCount;
    // sql.js is synchronous, so this transaction cannot interleave with another step's.
    this.db.run('BEGIN');
    try {
      if (mode === 'overwrite') this.db.run(`DROP TABLE IF EXISTS ${ident(table)}`);
      this.db.run(`CREATE TABLE IF NOT EXISTS ${ident(table)} (${cols})`);
      const stmt = this.db.prepare(`INSERT INTO ${ident(table)} VALUES (${data.schema.map(() => '?').join(', ')})`);
      for (let r = 0; r < rows; r++) stmt.run(data.columns.map((c) => sqliteValue(c[r])) as never);
      stmt.free();
      this.db.run('COMMIT');
    } catch (err) {
      this.db.run('ROLLBACK');
      throw err;
    }
    this.#dirty = true;
    return { target: `${this.name}:${table}`, commit: () => this.flush(runId), rollback: async () => undefined };
  }

  /** Writes the database file once per run, atomically, however many tables were stored. */
  flush(runId: string): Promise<void> {
    this.#flushed ??= (async () => {
      if (!this.#dirty) return;
      const staged = await stageFile(this.file, runId);
      await writeFile(staged.tempPath, this.db.export());
      await staged.commit();
    })();
    return this.#flushed;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function sqliteType(duckType: string): string {
  const t = duckType.toUpperCase();
  if (/INT/.test(t) || t === 'BOOLEAN') return 'INTEGER';
  if (t === 'DOUBLE' || t === 'FLOAT' || t.startsWith('DECIMAL')) return 'REAL';
  if (t === 'BLOB') return 'BLOB';
  return 'TEXT';
}

function sqliteValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && !(v instanceof Uint8Array)) return JSON.stringify(v);
  return v;
}

/* ---------------------------------- PostgreSQL ----------------------------------- */

const PG_TO_DUCK: Record<number, string> = {
  16: 'BOOLEAN', 20: 'BIGINT', 21: 'SMALLINT', 23: 'INTEGER', 26: 'BIGINT', 700: 'FLOAT', 701: 'DOUBLE',
  1700: 'DOUBLE', 1082: 'DATE', 1114: 'TIMESTAMP', 1184: 'TIMESTAMPTZ',
};
// Dates and zone-less timestamps stay text so they are read as UTC, not in the machine's zone.
const RAW_TEXT_TYPES = new Set([20, 1082, 1114, 1700]);

class PostgresConnection implements Connection {
  readonly kind = 'postgres' as const;
  #types?: typeof pg.types;
  constructor(readonly name: string, private readonly url: string) {}

  static async open(spec: ConnectionSpec): Promise<Connection> {
    const conn = new PostgresConnection(spec.name, spec.target);
    const client = await conn.client();
    await client.end();
    return conn;
  }

  private async client(): Promise<pg.Client> {
    // `pg` loads only when a pipeline connects to PostgreSQL.
    const { default: pgLib } = await import('pg');
    this.#types ??= pgLib.types;
    const client = new pgLib.Client({ connectionString: this.url });
    await client.connect();
    return client;
  }

  async ingest(session: Session, sql: string, key: string): Promise<number> {
    const client = await this.client();
    const types = this.#types!;
    try {
      const res = await client.query({
        text: stripTrailingSemicolons(sql),
        types: { getTypeParser: (oid: number, format?: string) => (RAW_TEXT_TYPES.has(oid) ? (v: string) => v : types.getTypeParser(oid, format as 'text')) },
      } as pg.QueryConfig);
      const schema: ColumnSchema[] = res.fields.map((f) => ({ name: f.name, type: PG_TO_DUCK[f.dataTypeID] ?? 'VARCHAR' }));
      const columns = schema.map((c) => res.rows.map((row) => fromPg(row[c.name], c.type)));
      const data: JsColumns = { schema, columns, rowCount: res.rows.length };
      return session.writeColumns(key, data);
    } finally {
      await client.end();
    }
  }

  async store(session: Session, key: string, table: string, mode: WriteMode): Promise<StagedAction> {
    const data = await session.readColumns(datasetTable(key));
    const client = await this.client();
    const target = qualifiedTable(table);
    try {
      await client.query('BEGIN');
      if (mode === 'overwrite') await client.query(`DROP TABLE IF EXISTS ${target}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${target} (${data.schema.map((c) => `${ident(c.name)} ${pgType(c.type)}`).join(', ')})`);
      const perBatch = Math.max(1, Math.floor(60_000 / Math.max(1, data.schema.length)));
      for (let start = 0; start < data.rowCount; start += perBatch) {
        const end = Math.min(start + perBatch, data.rowCount);
        const values: unknown[] = [];
        const tuples: string[] = [];
        for (let r = start; r < end; r++) {
          tuples.push(`(${data.columns.map((c) => { values.push(toPg(c[r])); return `$${values.length}`; }).join(', ')})`);
        }
        await client.query(`INSERT INTO ${target} VALUES ${tuples.join(', ')}`, values);
      }
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end();
      throw err;
    }
    let ended = false;
    const end = async () => { if (!ended) { ended = true; await client.end(); } };
    return {
      target: `${this.name}:${table}`,
      commit: async () => { try { await client.query('COMMIT'); } finally { await end(); } },
      rollback: async () => { try { await client.query('ROLLBACK'); } catch { /* connection may be gone */ } finally { await end(); } },
    };
  }

  async close(): Promise<void> {}
}

function fromPg(v: unknown, type: string): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'BIGINT': return BigInt(v as string);
    case 'DOUBLE': return Number(v);
    case 'DATE': return new Date(`${v}T00:00:00Z`);
    case 'TIMESTAMP': return new Date(`${String(v).replace(' ', 'T')}Z`);
    case 'VARCHAR': return typeof v === 'string' ? v : JSON.stringify(v);
    default: return v;
  }
}

function toPg(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  return v ?? null;
}

function pgType(duckType: string): string {
  const t = duckType.toUpperCase();
  const map: Record<string, string> = {
    BOOLEAN: 'boolean', TINYINT: 'smallint', SMALLINT: 'smallint', INTEGER: 'integer', BIGINT: 'bigint',
    UTINYINT: 'smallint', USMALLINT: 'integer', UINTEGER: 'bigint', UBIGINT: 'numeric', HUGEINT: 'numeric',
    FLOAT: 'real', DOUBLE: 'double precision', DATE: 'date', TIMESTAMP: 'timestamp',
    'TIMESTAMP WITH TIME ZONE': 'timestamptz', VARCHAR: 'text', BLOB: 'bytea', UUID: 'uuid',
  };
  if (map[t]) return map[t];
  if (t.startsWith('DECIMAL')) return t.replace('DECIMAL', 'numeric');
  return 'text';
}
