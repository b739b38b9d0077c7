/** File formats for reading (ingest) and writing (store, publish), from params or extension. */
import path from 'node:path';
import { StepError } from '../errors.js';
import { FORMAT_ALIASES } from '../config/params.js';
import { namedArgs, str } from '../engine/sql.js';

export type FileFormat = 'csv' | 'parquet' | 'json' | 'ndjson';

const BY_EXTENSION: Record<string, FileFormat> = {
  '.csv': 'csv', '.tsv': 'csv', '.txt': 'csv', '.parquet': 'parquet', '.pq': 'parquet',
  '.json': 'json', '.ndjson': 'ndjson', '.jsonl': 'ndjson',
};
const ALIASES: Readonly<Record<string, FileFormat>> = FORMAT_ALIASES;

export function formatOf(step: string, file: string, declared: unknown, fallback?: FileFormat): FileFormat {
  if (typeof declared === 'string' && declared) {
    const f = ALIASES[declared.toLowerCase()];
    if (!f) throw new StepError(step, `unknown format '${declared}'`, { hint: 'params.format is one of csv, parquet, json, ndjson' });
    return f;
  }
  // The last path segment decides, glob characters removed: "out/*.parquet" is Parquet.
  const clean = file.replace(/[?#].*$/, '');
  const ext = path.extname(path.basename(clean.endsWith('/') ? clean.slice(0, -1) : clean).replace(/[*[\]{}]+/g, 'x')).toLowerCase();
  const f = BY_EXTENSION[ext] ?? fallback;
  if (!f) throw new StepError(step, `cannot tell the file format of '${file}'`, { hint: 'set params.format to csv, parquet, json or ndjson' });
  return f;
}

/** DuckDB table function that reads the format. */
export function readerFor(format: FileFormat): { fn: string; defaults: Record<string, unknown> } {
  switch (format) {
    case 'csv': return { fn: 'read_csv', defaults: {} };
    case 'parquet': return { fn: 'read_parquet', defaults: {} };
    case 'json': return { fn: 'read_json', defaults: {} };
    case 'ndjson': return { fn: 'read_json', defaults: { format: 'newline_delimited' } };
  }
}

/**
 * The query reading `files` in `format`: several files read as one table, CSV and JSON ones by
 * column name (their columns may come in another order or be missing); `options` win.
 */
export function readFilesSql(format: FileFormat, files: readonly string[], options: Readonly<Record<string, unknown>> = {}): string {
  const reader = readerFor(format);
  const list = files.length === 1 ? str(files[0]) : `[${files.map(str).join(', ')}]`;
  return `SELECT * FROM ${reader.fn}(${list}${namedArgs({ ...reader.defaults, ...(files.length > 1 && format !== 'parquet' ? { union_by_name: true } : {}), ...options })})`;
}

/** COPY ... TO options that write the format. */
export function writerOptions(format: FileFormat): Record<string, unknown> {
  switch (format) {
    case 'csv': return { format: 'csv', header: true };
    case 'parquet': return { format: 'parquet' };
    case 'json': return { format: 'json', array: true };
    case 'ndjson': return { format: 'json' };
  }
}

export const EXTENSIONS: Record<FileFormat, string> = { csv: '.csv', parquet: '.parquet', json: '.json', ndjson: '.ndjson' };
