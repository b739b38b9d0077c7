// Benchmark worker: benchmark (b)'s baseline — the synthetic DAG's statements run one after
// another on ONE raw @duckdb/node-api connection, in topological (declaration) order.
//
//   node dag-raw.mjs expert <statements.json>   CREATE VIEW|TABLE "d_0042" AS <query naming datasets>
//
// `expert` is the baseline: what a hand-written script would run, the same queries from the same
// template as ODIBI's config (dag-gen.mjs), a view for each dataset that one later query reads and
// a table for the rest (see toStatements), and nothing else.
import { readFile } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { main, report, timed } from './lib.mjs';

async function statementsOf(mode, file) {
  const json = JSON.parse(await readFile(file, 'utf8'));
  if (mode === 'expert') return json;
  throw new Error('usage: dag-raw.mjs expert <statements.json>');
}

main(async () => {
  const [mode, file] = process.argv.slice(2);
  const steps = await statementsOf(mode, file);
  let rows = 0;
  const { ms } = await timed(async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    for (const { sql, counted } of steps) {
      // CREATE TABLE ... AS answers with the rows it stored: the results' rows are the check that
      // both sides did the same work.
      if (counted) rows += Number((await conn.runAndReadAll(sql)).getRows()[0][0]);
      else await conn.run(sql);
    }
    conn.closeSync();
    instance.closeSync();
  });
  report({ wallMs: ms, steps: steps.length, rows });
});
