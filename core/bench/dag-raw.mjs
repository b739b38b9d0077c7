// Benchmark worker: benchmark (b)'s baseline — the synthetic DAG's statements run one after
// another on ONE raw @duckdb/node-api connection, in topological (declaration) order.
//
//   node dag-raw.mjs tables <statements.json>   CREATE TABLE "d_0042" AS <query naming tables>
//   node dag-raw.mjs views  <pipeline.json>     per step: CREATE OR REPLACE TEMP VIEW <alias> for
//                                               each input, then CREATE TABLE key AS <step SQL>
//
// `tables` is the baseline: what a hand-written script would run, the same queries from the same
// template as ODIBI's config (dag-gen.mjs), and nothing else. `views` binds input aliases the way
// ODIBI does, so the gap between the two is the cost of alias binding alone.
import { readFile } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { ident, main, report, timed } from './lib.mjs';

async function statementsOf(mode, file) {
  const json = JSON.parse(await readFile(file, 'utf8'));
  if (mode === 'tables') return json.map((sql) => [sql]);
  if (mode === 'views') {
    return json.steps.map((s) => [
      ...Object.entries(s.inputs ?? {}).map(([alias, key]) => `CREATE OR REPLACE TEMP VIEW ${ident(alias)} AS SELECT * FROM ${ident(key)}`),
      `CREATE TABLE ${ident(s.outputs.data)} AS ${s.value}`,
    ]);
  }
  throw new Error('usage: dag-raw.mjs tables <statements.json> | views <pipeline.json>');
}

main(async () => {
  const [mode, file] = process.argv.slice(2);
  const steps = await statementsOf(mode, file);
  let rows = 0;
  const { ms } = await timed(async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    for (const statements of steps) {
      for (const sql of statements.slice(0, -1)) await conn.run(sql);
      // CREATE TABLE ... AS answers with the rows it stored: the check that both sides did the same work.
      rows += Number((await conn.runAndReadAll(statements.at(-1))).getRows()[0][0]);
    }
    conn.closeSync();
    instance.closeSync();
  });
  report({ wallMs: ms, steps: steps.length, rows });
});
