/**
 * DuckDB's errors about a step's SQL, said in the user's terms: the tables and columns they wrote,
 * a did-you-mean from the step's own inputs, and the line and column in their SQL. Never ODIBI's
 * internals (`memory.odibi_data."x"`, the CREATE TABLE around the query) nor DuckDB's guesses from
 * its system catalog (`Did you mean "duckdb_indexes"?`).
 */
import { closest } from '../shared/suggest.js';

export interface SqlErrorContext {
  /** The SQL as the user wrote it. */
  sql: string;
  /** Table names the SQL may use (input aliases, or a notebook's dataset keys), with their columns when known. */
  tables: ReadonlyMap<string, readonly string[] | undefined>;
  /** What the tables are called where the user wrote them ("inputs", "datasets"). */
  tablesAre?: string;
}

export interface ExplainedSqlError {
  message: string;
  hint?: string;
  /** 1-based, in the user's SQL. */
  line?: number;
  column?: number;
}

const INTERNAL = /memory\.odibi_data\.("(?:[^"]|"")+"|\w+)/g;

/** DuckDB's error kind prefix, e.g. "Binder Error: ", removed from the message. */
const KIND = /^(Parser|Binder|Catalog|Conversion|Invalid Input|Out of Range|Constraint|IO|Not implemented) Error:\s*/;

function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name;
}

/** Where DuckDB's `LINE n: …` context and its caret point, in the user's SQL. */
function position(message: string, sql: string): { line?: number; column?: number } {
  const m = /LINE (\d+): (.*)\n(\s*)\^/.exec(message);
  if (!m) return {};
  const line = Number(m[1]);
  const shown = m[2];
  const caret = m[3].length - `LINE ${m[1]}: `.length;
  // DuckDB shows a window of the line, starting with "..." when it cut the front off.
  const text = sql.split('\n')[line - 1];
  if (text === undefined) return { line };
  const window = shown.startsWith('...') ? shown.slice(3) : shown;
  const start = shown.startsWith('...') ? text.indexOf(window.replace(/\.\.\.$/, '').slice(0, 20)) : 0;
  const column = (start < 0 ? 0 : start) + caret - (shown.startsWith('...') ? 3 : 0) + 1;
  return { line, column: column > 0 ? column : undefined };
}

export function explainSqlError(raw: string, ctx: SqlErrorContext): ExplainedSqlError {
  const where = position(raw, ctx.sql);
  const first = raw.split('\n')[0].replace(KIND, '').replace(INTERNAL, (_m, n: string) => unquote(n));
  const names = [...ctx.tables.keys()];
  const are = ctx.tablesAre ?? 'inputs';
  const listed = names.length ? `this step's ${are}: ${names.join(', ')}` : `this step has no ${are}`;

  let m = /Table with name (\S+?) does not exist/.exec(first);
  if (m) {
    const table = unquote(m[1]);
    const near = closest(table, names);
    return { message: `unknown table '${table}'`, hint: near ? `did you mean '${near}'? (${listed})` : listed, ...where };
  }
  m = /Referenced column "((?:[^"]|"")+)" not found in FROM clause/.exec(first);
  if (m) return column(m[1].replace(/""/g, '"'), undefined, ctx, where);
  m = /(?:Values list|Table) "((?:[^"]|"")+)" does not have a column named "((?:[^"]|"")+)"/.exec(first);
  if (m) return column(m[2].replace(/""/g, '"'), m[1].replace(/""/g, '"'), ctx, where);
  m = /Referenced table "((?:[^"]|"")+)" not found/.exec(first);
  if (m) {
    const table = m[1];
    return { message: `unknown table or alias '${table}'`, hint: `${closest(table, names) ? `did you mean '${closest(table, names)}'? ` : ''}(${listed})`, ...where };
  }
  if (/^syntax error|Parser Error/i.test(raw)) return { message: `SQL syntax error: ${first}`, hint: 'fix the SQL at that line and column', ...where };
  return { message: first, ...where };
}

function column(name: string, table: string | undefined, ctx: SqlErrorContext, where: { line?: number; column?: number }): ExplainedSqlError {
  const inTable = table !== undefined ? [...ctx.tables].find(([t]) => t.toLowerCase() === table.toLowerCase())?.[1] : undefined;
  const columns = inTable ?? [...new Set([...ctx.tables.values()].flatMap((c) => c ?? []))];
  const near = closest(name, columns);
  const of = table !== undefined ? ` in '${table}'` : '';
  const list = columns.length ? `columns${of}: ${columns.slice(0, 12).join(', ')}${columns.length > 12 ? ', …' : ''}` : undefined;
  return { message: `unknown column '${name}'${of}`, hint: near ? `did you mean '${near}'?` : list, ...where };
}

/** "line 3, column 7 of the SQL" for messages, when the position is known. */
export function describePosition(e: { line?: number; column?: number }, of = 'the SQL'): string {
  if (e.line === undefined) return '';
  return ` (line ${e.line}${e.column !== undefined ? `, column ${e.column}` : ''} of ${of})`;
}
