/**
 * SQLite configs: table `transformation_config` with v1's columns, read through sql.js (WASM) so
 * no native module has to compile on a fresh machine. Only `enabled = 1` rows, optionally one
 * project's, ordered by `execution_order`.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.js';
import { loadSqlJs } from '../shared/sqljs.js';
import type { RawPipeline } from './model.js';
import { rowsToRawSteps, type ConfigRow } from './rows.js';


export async function loadSqlitePipeline(file: string, project?: string): Promise<RawPipeline> {
  const SQL = await loadSqlJs();
  const bytes = await readFile(file);
  let db;
  try {
    db = new SQL.Database(bytes);
    db.exec('SELECT 1 FROM sqlite_master LIMIT 1');
  } catch (err) {
    throw new ConfigError([{ message: `not a readable SQLite database: ${(err as Error).message}`, file,
      hint: 'pass a .db/.sqlite file holding a transformation_config table' }], file);
  }
  try {
    const exists = db.exec("SELECT name FROM sqlite_master WHERE type IN ('table','view') AND lower(name) = 'transformation_config'");
    if (exists.length === 0) {
      throw new ConfigError([{ message: 'no table transformation_config in the database', file,
        hint: 'create it with columns Layer, StepName, StepType, Engine, Value, Params, Inputs, Outputs, Metadata, project, enabled, execution_order' }], file);
    }
    const table = String(exists[0].values[0][0]);
    const result = db.exec(`SELECT rowid AS __rowid, * FROM "${table}"`);
    const header = (result[0]?.columns ?? db.exec(`PRAGMA table_info("${table}")`)[0].values.map((v) => String(v[1]))).filter((c) => c !== '__rowid');
    const rows: ConfigRow[] = (result[0]?.values ?? []).map((values) => {
      const cells = Object.fromEntries(result[0].columns.map((c, i) => [c, values[i]]));
      return { cells, origin: { file, row: `${table} row ${cells.__rowid}` } };
    });
    const steps = rowsToRawSteps(header, rows, file, project);
    if (project !== undefined && steps.length === 0) {
      const projects = db.exec(`SELECT DISTINCT project FROM "${table}"`)[0]?.values.map((v) => String(v[0])) ?? [];
      throw new ConfigError([{ message: `no enabled steps for project '${project}'`, file,
        hint: projects.length ? `projects in this file: ${projects.join(', ')}` : 'this table has no project column' }], file);
    }
    return { file, steps, name: project };
  } finally {
    db.close();
  }
}
