#!/usr/bin/env node
// Writes pipeline.csv and pipeline.db (SQLite, table transformation_config) from pipeline.json,
// in odibi_core v1's row layout, so the three formats describe the same pipeline.
// A test checks that all three validate to the same steps and produce the same gold output.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import initSqlJs from 'sql.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { name, steps } = JSON.parse(readFileSync(path.join(here, 'pipeline.json'), 'utf8'));
const COLUMNS = ['Layer', 'StepName', 'StepType', 'Engine', 'Value', 'Params', 'Inputs', 'Outputs', 'Metadata', 'project', 'enabled', 'execution_order'];

const rows = steps.map((s, i) => [
  s.layer, s.name, s.type ?? '', s.engine ?? 'pandas', s.value ?? '',
  JSON.stringify(s.params ?? {}), JSON.stringify(s.inputs ?? {}), JSON.stringify(s.outputs ?? {}), JSON.stringify(s.metadata ?? {}),
  name, 1, i + 1,
]);

const csvCell = (v) => {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
// A disabled row from another project proves the filters work.
const extra = ['transform', 'legacy_step', 'sql', 'pandas', 'SELECT 1', '{}', '{}', '{"data": "legacy"}', '{}', 'other_project', 1, 99];
const disabled = ['transform', 'disabled_step', 'sql', 'pandas', 'SELECT 1', '{}', '{}', '{"data": "disabled"}', '{}', name, 0, 100];
const csv = [COLUMNS, ...rows, extra, disabled].map((r) => r.map(csvCell).join(',')).join('\n');
writeFileSync(path.join(here, 'pipeline.csv.tmp'), `${csv}\n`);
renameSync(path.join(here, 'pipeline.csv.tmp'), path.join(here, 'pipeline.csv'));

const SQL = await initSqlJs();
const db = new SQL.Database();
db.run(`CREATE TABLE transformation_config (${COLUMNS.map((c) => `"${c}" ${c === 'enabled' || c === 'execution_order' ? 'INTEGER' : 'TEXT'}`).join(', ')})`);
// Inserted in reverse so only execution_order gives the right order.
const insert = db.prepare(`INSERT INTO transformation_config VALUES (${COLUMNS.map(() => '?').join(', ')})`);
for (const r of [...rows, extra, disabled].reverse()) insert.run(r);
insert.free();
writeFileSync(path.join(here, 'pipeline.db.tmp'), db.export());
renameSync(path.join(here, 'pipeline.db.tmp'), path.join(here, 'pipeline.db'));
console.log(`wrote pipeline.csv and pipeline.db (${rows.length} steps of project '${name}')`);
