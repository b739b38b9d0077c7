/**
 * Reading configs: picks the reader from the file extension (JSON, CSV, SQLite) and gives the raw
 * steps; `load/pipeline.ts` validates them.
 */
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { RawPipeline } from './model.js';
import { parseJsonPipeline } from './parse-json.js';
import type { ValidateOptions } from './validate.js';

export interface LoadOptions extends Omit<ValidateOptions, 'connections'> {
  /** Rows of this project only (CSV and SQLite configs with a `project` column). */
  project?: string;
  /** Values of `${var:…}` given on the command line (over the profile's). `profile` picks the profile (config/profiles.ts). */
  vars?: Readonly<Record<string, string>>;
}

const FORMATS: Record<string, 'json' | 'csv' | 'sqlite'> = {
  '.json': 'json', '.csv': 'csv', '.db': 'sqlite', '.sqlite': 'sqlite', '.sqlite3': 'sqlite',
};

export async function readRawPipeline(file: string, options: LoadOptions = {}): Promise<RawPipeline> {
  const format = FORMATS[path.extname(file).toLowerCase()];
  if (!format) {
    throw new ConfigError([{ message: `unsupported config format '${path.extname(file) || '(no extension)'}'`, file,
      hint: 'use a .json, .csv, .db, .sqlite or .sqlite3 file' }], file);
  }
  // The CSV and SQLite readers (csv-parse, sql.js) load only for configs in those formats.
  if (format === 'sqlite') return (await import('./load-sqlite.js')).loadSqlitePipeline(await assertReadable(file), options.project);
  const text = await readFile(await assertReadable(file), 'utf8');
  return format === 'json' ? parseJsonPipeline(text, file) : (await import('./parse-csv.js')).parseCsvPipeline(text, file, options.project);
}


async function assertReadable(file: string): Promise<string> {
  try {
    await access(file);
    return file;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([{ message: code === 'ENOENT' ? 'config file not found' : `cannot read config file (${code})`, file,
      hint: code === 'ENOENT' ? 'check the path, or create a project with `odibi init <dir>`' : undefined }], file);
  }
}
