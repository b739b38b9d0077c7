/** Quoting and literals for the SQL that ODIBI itself writes (never for user SQL). */

export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function str(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A JSON value as a DuckDB literal: reader options like {"columns": {"a": "INT"}} → struct. */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return str(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${str(k)}: ${literal(v)}`).join(', ')}}`;
}

/** `name=value` pairs for a table function call, e.g. read_csv('f', header=true). */
export function namedArgs(options: Record<string, unknown> | undefined): string {
  if (!options) return '';
  return Object.entries(options).map(([k, v]) => `, ${assertOptionName(k)}=${literal(v)}`).join('');
}

/** Options of a COPY ... TO statement: (FORMAT parquet, COMPRESSION zstd). */
export function copyOptions(options: Record<string, unknown>): string {
  return Object.entries(options).map(([k, v]) => `${assertOptionName(k).toUpperCase()} ${typeof v === 'string' && /^[A-Za-z_]+$/.test(v) ? v : literal(v)}`).join(', ');
}

function assertOptionName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid option name '${name}'`);
  return name;
}

/** User SQL without trailing semicolons, so it can be wrapped in CREATE TABLE ... AS. */
export function stripTrailingSemicolons(sql: string): string {
  return sql.replace(/(;|\s)+$/u, '');
}
