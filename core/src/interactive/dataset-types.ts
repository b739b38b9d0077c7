/**
 * TypeScript declarations of a notebook's datasets, from their DuckDB schemas: the row type of
 * `odibi.rows(key)` and of the rows of `odibi.table(key)`, per key. The kernel declares them, so a
 * misspelt key or column is a compile error with a did-you-mean, and completion knows both.
 */
import type { ColumnSchema } from '../engine/duckdb-engine.js';
import { arrowValueType, rowValueType } from '../engine/type-names.js';
import { identifier } from './function-module.js';

export interface DatasetSchema {
  key: string;
  schema: readonly ColumnSchema[];
}

/** `OdibiDatasets` (key → row of `odibi.rows`) and `OdibiArrowDatasets` (key → row of `odibi.table`). */
export function datasetDeclarations(datasets: readonly DatasetSchema[]): string {
  const names = new Set<string>();
  const out: string[] = [];
  const rows: string[] = [];
  const arrow: string[] = [];
  for (const d of datasets) {
    let name = `OdibiRow_${identifier(d.key)}`;
    for (let i = 2; names.has(name); i++) name = `OdibiRow_${identifier(d.key)}_${i}`;
    names.add(name);
    const fields = (type: (t: string) => string) => d.schema.map((c) => `  ${JSON.stringify(c.name)}: ${type(c.type)} | null;`).join('\n');
    out.push(`/** A row of dataset '${d.key}' (odibi.rows). */\ninterface ${name} {\n${fields(rowValueType)}\n}`);
    out.push(`/** A row of dataset '${d.key}' as an Arrow table has it (odibi.table). */\ninterface Arrow${name} {\n${fields(arrowValueType)}\n}`);
    rows.push(`  ${JSON.stringify(d.key)}: ${name};`);
    arrow.push(`  ${JSON.stringify(d.key)}: Arrow${name};`);
  }
  out.push(`type OdibiDatasets = {\n${rows.join('\n')}\n};`);
  out.push(`type OdibiArrowDatasets = {\n${arrow.join('\n')}\n};`);
  return out.join('\n');
}
