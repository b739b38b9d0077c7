/**
 * What a SQL statement reads, as DuckDB's own parser sees it (`json_serialize_sql`): the base
 * tables of every FROM, JOIN, subquery and set operation, quoted names included, minus the names
 * of the statement's CTEs. Aliases, string literals and column names never count, because the
 * parser never calls them tables. A syntax error comes back with its line and column in the
 * user's text.
 */

export interface TableRef {
  /** The name as written (quotes removed), e.g. `Silver Readings`. */
  name: string;
  /** `schema.table` qualifications, if any. */
  schema?: string;
  catalog?: string;
  /** 1-based line and column of the reference in the SQL. */
  line?: number;
  column?: number;
}

export interface SqlStructure {
  ok: true;
  /** Base tables read, once each (by lower-cased name), in order of appearance. */
  tables: TableRef[];
  /** CTE names the statement defines. */
  ctes: string[];
  /** Table functions it calls (`read_csv`, `range`…), lower-cased, once each. */
  tableFunctions: string[];
  statements: number;
}

export interface SqlSyntaxError {
  ok: false;
  /** DuckDB's message, e.g. `syntax error at or near "SELEC"`. */
  message: string;
  line?: number;
  column?: number;
}

/** Runs one query and returns its rows (any DuckDB connection will do: parsing reads no data). */
export type QueryFn = (sql: string) => Promise<Record<string, unknown>[]>;

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/** DuckDB's "unknown position" marker (2^64 - 1, which JSON.parse rounds). */
const NO_POSITION = 1.8e19;

function position(sql: string, offset: unknown): { line?: number; column?: number } {
  const n = Number(offset);
  return Number.isFinite(n) && n >= 0 && n < NO_POSITION ? lineColumn(sql, n) : {};
}

export async function readSqlStructure(query: QueryFn, sql: string): Promise<SqlStructure | SqlSyntaxError> {
  const rows = await query(`SELECT json_serialize_sql(${quote(sql)}) AS tree`);
  return structureOf(sql, String(rows[0]?.tree ?? '{}'));
}

/**
 * `readSqlStructure` of many statements in one query: a dry run of a pipeline with thousands of
 * SQL steps parses them all in one round trip instead of one each.
 */
export async function readSqlStructures(query: QueryFn, sqls: readonly string[]): Promise<Map<string, SqlStructure | SqlSyntaxError>> {
  const distinct = [...new Set(sqls)];
  const out = new Map<string, SqlStructure | SqlSyntaxError>();
  if (distinct.length === 0) return out;
  const rows = await query(`SELECT i, json_serialize_sql(s) AS tree FROM (VALUES ${distinct.map((s, i) => `(${i}, ${quote(s)})`).join(', ')}) t(i, s)`);
  for (const r of rows) {
    const sql = distinct[Number(r.i)];
    out.set(sql, structureOf(sql, String(r.tree ?? '{}')));
  }
  return out;
}

function structureOf(sql: string, json: string): SqlStructure | SqlSyntaxError {
  const tree = JSON.parse(json) as { error?: boolean; error_message?: string; position?: unknown; statements?: unknown[] };
  if (tree.error) return { ok: false, message: tree.error_message ?? 'the SQL cannot be parsed', ...position(sql, tree.position) };
  const tables: TableRef[] = [];
  const tableFunctions = new Set<string>();
  const ctes = new Set<string>();
  const seen = new Set<string>();
  // `scope` holds the CTE names visible where a node sits: a CTE's body sees the CTEs before it
  // (and itself, if recursive); the statement's own query sees them all. A table named like a CTE
  // in scope is that CTE; outside its scope it is the real table.
  const walk = (node: unknown, scope: ReadonlySet<string>): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n, scope);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (o.type === 'TABLE_FUNCTION') {
      const name = (o.function as { function_name?: unknown } | undefined)?.function_name;
      if (typeof name === 'string') tableFunctions.add(name.toLowerCase());
    }
    if (o.type === 'BASE_TABLE' && typeof o.table_name === 'string') {
      const qualified = !!(o.schema_name || o.catalog_name);
      const key = [o.catalog_name, o.schema_name, o.table_name].join('.').toLowerCase();
      if ((qualified || !scope.has(o.table_name.toLowerCase())) && !seen.has(key)) {
        seen.add(key);
        tables.push({
          name: o.table_name,
          ...(o.schema_name ? { schema: String(o.schema_name) } : {}),
          ...(o.catalog_name ? { catalog: String(o.catalog_name) } : {}),
          ...position(sql, o.query_location),
        });
      }
    }
    let inner = scope;
    const entries = (o.cte_map as { map?: Array<{ key?: unknown; value?: { query?: { node?: { type?: unknown } } } }> } | undefined)?.map;
    if (Array.isArray(entries) && entries.length) {
      const before = new Set(scope);
      for (const entry of entries) {
        if (typeof entry.key !== 'string') continue;
        const name = entry.key.toLowerCase();
        ctes.add(name);
        const recursive = entry.value?.query?.node?.type === 'RECURSIVE_CTE_NODE';
        walk(entry.value, recursive ? new Set([...before, name]) : new Set(before));
        before.add(name);
      }
      inner = before;
    }
    for (const [field, value] of Object.entries(o)) if (field !== 'cte_map' && value && typeof value === 'object') walk(value, inner);
  };
  walk(tree.statements ?? [], new Set());
  return { ok: true, tables, ctes: [...ctes], tableFunctions: [...tableFunctions], statements: (tree.statements ?? []).length };
}

function quote(sql: string): string {
  return `'${sql.replace(/'/g, "''")}'`;
}
