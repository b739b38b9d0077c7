/**
 * Row objects (from user functions, APIs, SQLite) → typed DuckDB columns. A column whose values
 * disagree in type is stored as text.
 */
import type { ColumnSchema, JsColumns } from './duckdb-engine.js';

/**
 * Row objects → typed columns; a column whose values disagree in type is stored as text. `hints`
 * (usually the input's schema) keep a passed-through column's type, e.g. a DATE that arrived in JS
 * as epoch milliseconds stays a DATE.
 */
export function rowsToColumns(rows: readonly Record<string, unknown>[], hints: ReadonlyMap<string, string> = new Map()): JsColumns {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) for (const k of Object.keys(row)) if (!seen.has(k)) { seen.add(k); names.push(k); }
  const schema: ColumnSchema[] = names.map((name) => {
    const values = rows.map((r) => r[name]);
    const hint = hints.get(name);
    return { name, type: hint && fitsHint(values, hint) ? hint : inferType(values) };
  });
  const columns = schema.map((col) => rows.map((r) => coerce(r[col.name], col.type)));
  return { schema, columns, rowCount: rows.length };
}

function kindOf(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (v instanceof Date) return 'date';
  return 'json';
}

function inferType(values: unknown[]): string {
  const kinds = new Set(values.map(kindOf).filter((k): k is string => k !== undefined));
  if (kinds.size === 0) return 'VARCHAR';
  if (kinds.size === 1) {
    const [k] = kinds;
    return ({ int: 'BIGINT', float: 'DOUBLE', bool: 'BOOLEAN', string: 'VARCHAR', date: 'TIMESTAMP', json: 'VARCHAR' } as Record<string, string>)[k];
  }
  if ([...kinds].every((k) => k === 'int' || k === 'float')) return 'DOUBLE';
  return 'VARCHAR';
}

const HINT_KINDS: Record<string, readonly string[]> = {
  BIGINT: ['int'], INTEGER: ['int'], SMALLINT: ['int'], TINYINT: ['int'], DOUBLE: ['int', 'float'], FLOAT: ['int', 'float'],
  BOOLEAN: ['bool'], VARCHAR: ['string'], DATE: ['date', 'int'], TIMESTAMP: ['date', 'int'], 'TIMESTAMP WITH TIME ZONE': ['date', 'int'],
};

function fitsHint(values: unknown[], hint: string): boolean {
  const allowed = HINT_KINDS[hint];
  return !!allowed && values.every((v) => { const k = kindOf(v); return k === undefined || allowed.includes(k); });
}

function coerce(v: unknown, type: string): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'DATE':
    case 'TIMESTAMP':
    case 'TIMESTAMP WITH TIME ZONE': return v instanceof Date ? v : new Date(Number(v));
    case 'INTEGER':
    case 'SMALLINT':
    case 'TINYINT': return Number(v);
    case 'BIGINT': return typeof v === 'bigint' ? v : BigInt(v as number);
    case 'DOUBLE': return Number(v);
    case 'VARCHAR': return typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
    default: return v;
  }
}
