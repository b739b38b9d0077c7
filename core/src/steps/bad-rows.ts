/**
 * An ingest with `params.schema` (column → DuckDB type) reads its CSV or NDJSON files row by row
 * against that schema, and `params.on_bad_rows` says what a row that does not fit becomes:
 *
 * - `fail` (default): the step stops, naming file:line, the column and the reason;
 * - `skip`: the row is dropped and counted;
 * - `quarantine`: the row goes to the step's output alias `rejects` (`file`, `line`, `column`,
 *   `error`, `raw_line`), a dataset like any other.
 *
 * CSV is read by DuckDB with an explicit RFC 4180 dialect (no sniffing, which on a broken file
 * picks a dialect that silently mangles it) and its rejects tables (`store_rejects`): DuckDB says
 * which line, which column and why (an unterminated quote, a cast, a wrong column count). NDJSON
 * is read line by line (`read_text`), each line parsed by DuckDB's JSON functions and each field
 * cast to its type, so a bad line is known by its number too.
 */
import { randomUUID } from 'node:crypto';
import { StepError } from '../errors.js';
import { datasetTable, type Session } from '../engine/duckdb-engine.js';
import { ident, literal, namedArgs, str } from '../engine/sql.js';
import type { BadRows } from '../exec/events.js';
import type { FileFormat } from './formats.js';
import { SCHEMA_TYPE } from '../config/params.js';

export type BadRowPolicy = 'fail' | 'skip' | 'quarantine';

export const BAD_ROW_POLICIES: readonly BadRowPolicy[] = ['fail', 'skip', 'quarantine'];
/** The output alias quarantined rows go to. */
export const REJECTS_ALIAS = 'rejects';

export interface BadRowRead {
  step: string;
  /** Files or globs, read together. */
  sources: readonly string[];
  format: FileFormat;
  schema: Readonly<Record<string, string>>;
  policy: BadRowPolicy;
  /** The user's reader options (delimiter, header, quote…), over the RFC 4180 defaults. */
  options: Readonly<Record<string, unknown>>;
  /** Where good rows go, and (quarantine) bad ones. */
  key: string;
  rejectsKey?: string;
}

/** Reads the files into `key`; returns what became of the bad rows (undefined: there were none). */
export async function readWithBadRows(session: Session, r: BadRowRead): Promise<BadRows | undefined> {
  if (r.format !== 'csv' && r.format !== 'ndjson') {
    throw new StepError(r.step, `params.schema and on_bad_rows read CSV and NDJSON files, not ${r.format}`, { hint: r.format === 'parquet' ? 'Parquet files carry their own types: drop params.schema' : 'write the records one JSON object per line (NDJSON), or drop params.schema' });
  }
  const tmp = `odibi_bad_${randomUUID().replace(/-/g, '')}`;
  const bad = datasetTable(`${tmp}_rows`);
  try {
    if (r.format === 'csv') await readCsv(session, r, tmp, bad);
    else await readNdjson(session, r, tmp, bad);
    const [{ n }] = await session.query(`SELECT count(*) AS n FROM ${bad}`);
    const count = Number(n);
    if (r.policy === 'quarantine') await session.materialize(r.rejectsKey!, `SELECT * FROM ${bad} ORDER BY file, line`);
    if (count === 0) return undefined;
    if (r.policy === 'fail') {
      const shown = await session.query(`SELECT * FROM ${bad} ORDER BY file, line LIMIT 5`);
      const lines = shown.map((b) => `${String(b.file)}:${String(b.line)}${b.column ? `, column ${String(b.column)}` : ''}: ${String(b.error)}${b.raw_line ? `\n    ${String(b.raw_line).split('\n')[0].slice(0, 200)}` : ''}`);
      throw new StepError(r.step, `${count.toLocaleString('en-US')} bad row${count === 1 ? '' : 's'}:\n  ${lines.join('\n  ')}${count > shown.length ? `\n  … and ${count - shown.length} more` : ''}`, {
        hint: 'fix the file, or set params.on_bad_rows to "skip" (drop them) or "quarantine" (keep them in the output alias "rejects")',
      });
    }
    return { policy: r.policy, count };
  } finally {
    await session.run(`DROP TABLE IF EXISTS ${bad}; DROP TABLE IF EXISTS ${ident(`${tmp}_errors`)}; DROP TABLE IF EXISTS ${ident(`${tmp}_scans`)}`).catch(() => undefined);
  }
}

function sourceList(sources: readonly string[]): string {
  return sources.length === 1 ? str(sources[0]) : `[${sources.map(str).join(', ')}]`;
}

/** Reader options the dialect below fixes itself, or that would turn sniffing back on. */
const FIXED = new Set(['auto_detect', 'columns', 'types', 'dtypes', 'all_varchar', 'sample_size', 'union_by_name', 'store_rejects', 'rejects_table', 'rejects_scan', 'ignore_errors']);

async function readCsv(session: Session, r: BadRowRead, tmp: string, bad: string): Promise<void> {
  const own = Object.fromEntries(Object.entries(r.options).filter(([k]) => !FIXED.has(k.toLowerCase())));
  // sep and delimiter are DuckDB's aliases of delim: one of them, never two.
  const delim = ['delim', 'sep', 'delimiter'].some((k) => k in own) ? {} : { delim: ',' };
  const dialect = { header: true, ...delim, quote: '"', escape: '"', ...own, auto_detect: false };
  if (dialect.header !== false) await assertHeader(session, r, dialect);
  const args = namedArgs({ ...dialect, columns: r.schema, store_rejects: true, rejects_table: `${tmp}_errors`, rejects_scan: `${tmp}_scans` });
  await session.materialize(r.key, `SELECT * FROM read_csv(${sourceList(r.sources)}${args})`);
  const reason = `CASE e.error_type
      WHEN 'UNQUOTED VALUE' THEN 'unterminated quote'
      WHEN 'CAST' THEN 'cast error: ' || e.error_message
      WHEN 'TOO MANY COLUMNS' THEN 'wrong column count: ' || e.error_message
      WHEN 'MISSING COLUMNS' THEN 'wrong column count: ' || e.error_message
      ELSE lower(e.error_type) || ': ' || e.error_message END`;
  await session.run(`CREATE TABLE ${bad} AS SELECT s.file_path AS file, e.line::BIGINT AS line, e.column_name AS "column", ${reason} AS error, rtrim(e.csv_line, chr(10)) AS raw_line
    FROM ${ident(`${tmp}_errors`)} e JOIN ${ident(`${tmp}_scans`)} s USING (scan_id, file_id)`);
}

/**
 * With a header, DuckDB reads a schema's columns by position, not by name: a file whose header
 * names other columns, or the same in another order, would fill each column with another's values.
 * Each file's first line must name the schema's columns, in order.
 */
async function assertHeader(session: Session, r: BadRowRead, dialect: Record<string, unknown>): Promise<void> {
  const names = Object.keys(r.schema);
  const asText = Object.fromEntries(names.map((n, i) => [`c${i}`, 'VARCHAR']));
  const files: string[] = [];
  for (const source of r.sources) files.push(...(await session.query(`SELECT file FROM glob(${str(source)}) ORDER BY file`)).map((f) => String(f.file)));
  for (const file of files) {
    const first = await session.query(`SELECT * FROM read_csv(${str(file)}${namedArgs({ ...dialect, header: false, columns: asText, null_padding: true, strict_mode: false })}) LIMIT 1`).catch(() => []);
    if (!first.length) continue;
    const found = Object.values(first[0]).map((v) => (v === null ? '' : String(v).trim()));
    if (found.every((v, i) => v.toLowerCase() === names[i].toLowerCase())) continue;
    throw new StepError(r.step, `${file}: its header is ${found.filter(Boolean).join(', ')}, but params.schema lists ${names.join(', ')}`, {
      hint: 'list the schema\'s columns as the header names them, in the same order (or set options.header to false for a file without one)',
    });
  }
}

async function readNdjson(session: Session, r: BadRowRead, tmp: string, bad: string): Promise<void> {
  const cols = Object.entries(r.schema);
  const odd = cols.find(([, t]) => !SCHEMA_TYPE.test(t));
  if (odd) throw new StepError(r.step, `params.schema: '${odd[1]}' (column ${odd[0]}) is not a type name`, { hint: 'use a DuckDB type name: BIGINT, DOUBLE, VARCHAR, TIMESTAMP, DECIMAL(9,3)…; read nested values as JSON' });
  // A field's text, read only on lines that are one JSON object (JSON functions throw on the rest).
  const field = (name: string) => `CASE WHEN ok THEN json_extract_string(raw_line, ${str(`$.${JSON.stringify(name)}`)}) END`;
  // One row per line of each file, numbered from 1; blank lines are no rows.
  const lines = `SELECT filename AS file, unnest(range(1, len(string_split(content, chr(10))) + 1))::BIGINT AS line, rtrim(unnest(string_split(content, chr(10))), chr(13)) AS raw_line FROM read_text(${sourceList(r.sources)})`;
  const checked = `SELECT file, line, raw_line, CASE WHEN json_valid(raw_line) THEN json_type(raw_line) = 'OBJECT' ELSE false END AS ok FROM (${lines}) WHERE trim(raw_line) <> ''`;
  const parsed = `SELECT file, line, raw_line, ok${cols.map(([c, t]) => `, TRY_CAST(${field(c)} AS ${t}) AS ${ident(c)}, ${field(c)} AS ${ident(`__raw_${c}`)}`).join('')} FROM (${checked})`;
  // The first field whose value does not cast to its type.
  const firstBad = cols.length
    ? `CASE ${cols.map(([c, t]) => `WHEN ${ident(`__raw_${c}`)} IS NOT NULL AND ${ident(c)} IS NULL THEN ${literal(c)} || chr(31) || 'cast error: could not convert ' || to_json(${ident(`__raw_${c}`)}) || ${literal(` to ${t}`)}`).join(' ')} END`
    : 'NULL';
  await session.run(`CREATE TABLE ${datasetTable(`${tmp}_parsed`)} AS SELECT *, CASE WHEN NOT ok THEN chr(31) || 'malformed JSON (not one object on the line)' ELSE ${firstBad} END AS __bad FROM (${parsed})`);
  try {
    const t = datasetTable(`${tmp}_parsed`);
    await session.materialize(r.key, `SELECT ${cols.map(([c]) => ident(c)).join(', ')} FROM ${t} WHERE __bad IS NULL ORDER BY file, line`);
    await session.run(`CREATE TABLE ${bad} AS SELECT file, line, nullif(split_part(__bad, chr(31), 1), '') AS "column", split_part(__bad, chr(31), 2) AS error, raw_line FROM ${t} WHERE __bad IS NOT NULL`);
  } finally {
    await session.run(`DROP TABLE IF EXISTS ${datasetTable(`${tmp}_parsed`)}`).catch(() => undefined);
  }
}

/**
 * A CSV read without params.schema, as DuckDB's sniffer would read it, refused when the sniffer
 * gave up on its first lines: it then skips them (`SkipRows`) and reads the rest with generic
 * columns, which downstream steps meet as "column not found". Returns why, or undefined when the
 * file reads cleanly. (A file's bad lines are found exactly with params.schema.)
 */
export async function sniffedCsvTrouble(session: Session, source: string, options: Readonly<Record<string, unknown>>): Promise<string | undefined> {
  if (Object.keys(options).some((k) => ['skip', 'skiprows', 'auto_detect', 'columns'].includes(k.toLowerCase()))) return undefined;
  // sniff_csv reads one file; a glob's read takes its dialect from the first file, so that one is sniffed.
  const file = /[*?[{]/.test(source) ? (await session.query(`SELECT file FROM glob(${str(source)}) ORDER BY file LIMIT 1`).catch(() => []))[0]?.file : source;
  if (typeof file !== 'string') return undefined;
  let sniffed: Record<string, unknown>[];
  try {
    sniffed = await session.query(`SELECT "SkipRows" AS skip FROM sniff_csv(${str(file)}${namedArgs(Object.fromEntries(Object.entries(options).filter(([k]) => !['union_by_name', 'filename', 'hive_partitioning'].includes(k.toLowerCase()))))})`);
  } catch {
    // The read itself says what is wrong.
    return undefined;
  }
  const skipped = Number(sniffed[0]?.skip ?? 0);
  if (skipped <= 0) return undefined;
  return `DuckDB could not read lines 1-${skipped} of ${file} as the same CSV as the lines after them (an unterminated quote, or a line with another number of columns, is the usual cause)`;
}
