/**
 * Variables and profiles through the real `odibi` CLI: `--var`, `--vars`, `--profile` and
 * ODIBI_PROFILE on validate and run, one config running on two roots under dev and prod.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { events, odibi } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { tempDir, writePipeline } from '../helpers/project.js';

const STEPS = [
  { layer: 'ingest', name: 'load', value: '${var:root}/readings.csv', outputs: { data: 'raw' } },
  { layer: 'transform', name: 'gold', value: 'SELECT device, sum(v) AS total FROM raw WHERE v >= ${var:min_v:-0} GROUP BY device', inputs: { raw: 'raw' }, outputs: { data: 'gold' } },
  { layer: 'store', name: 'save', value: '${var:out}/gold.parquet', inputs: { data: 'gold' } },
];

async function project(): Promise<string> {
  const dir = await tempDir('odibi-vars-');
  for (const [root, rows] of [['sample', 'a,1\nb,2\n'], ['full', 'a,1\nb,2\na,10\nc,-5\n']] as const) {
    await mkdir(path.join(dir, root), { recursive: true });
    await writeFile(path.join(dir, root, 'readings.csv'), `device,v\n${rows}`);
  }
  await writePipeline(dir, STEPS);
  await writeFile(path.join(dir, 'odibi.profiles.json'), JSON.stringify({
    dev: { vars: { root: 'sample', out: 'out/dev' } },
    prod: { vars: { root: 'full', out: 'out/prod' } },
  }));
  return dir;
}

const gold = (file: string) => query(`SELECT * FROM read_parquet('${file}') ORDER BY device`);

describe('variables and profiles on the CLI', () => {
  it('runs one config under dev and prod on two roots, and records the profile and variables', async () => {
    const dir = await project();
    expect((await odibi(['run', 'pipeline.json'], { cwd: dir })).code).toBe(0);
    const prod = await odibi(['run', 'pipeline.json', '--profile', 'prod', '--json'], { cwd: dir });
    expect(prod.code, prod.stderr).toBe(0);
    expect(await gold(path.join(dir, 'out/dev/gold.parquet'))).toEqual([{ device: 'a', total: 1 }, { device: 'b', total: 2 }]);
    expect(await gold(path.join(dir, 'out/prod/gold.parquet'))).toEqual([{ device: 'a', total: 11 }, { device: 'b', total: 2 }]);
    const runId = events(prod.stdout).find((e) => e.type === 'run_start')!.runId;
    const record = JSON.parse(await readFile(path.join(dir, '.odibi/runs', `${runId}.json`), 'utf8'));
    expect(record.options).toMatchObject({ profile: 'prod', vars: { root: 'full', out: 'out/prod', min_v: '0' } });
    // ODIBI_PROFILE chooses when --profile does not; --var wins over the profile and --vars.
    await writeFile(path.join(dir, 'vars.json'), JSON.stringify({ out: 'out/from-file', min_v: 5 }));
    const over = await odibi(['run', 'pipeline.json', '--vars', 'vars.json', '--var', 'out=out/flag'], { cwd: dir, env: { ODIBI_PROFILE: 'prod' } });
    expect(over.code, over.stderr).toBe(0);
    expect(await gold(path.join(dir, 'out/flag/gold.parquet'))).toEqual([{ device: 'a', total: 10 }]);
  }, 60_000);

  it('fails validate and run where a variable is not set or a profile does not exist, naming the step', async () => {
    const dir = await project();
    await writeFile(path.join(dir, 'odibi.profiles.json'), JSON.stringify({ dev: { vars: { root: 'sample', out: 'out' } }, prod: { vars: { root: 'full' } } }));
    const ok = await odibi(['validate', 'pipeline.json'], { cwd: dir });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const missing = await odibi(['validate', 'pipeline.json', '--profile', 'prod'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/save.*variable 'out' is not set \(referenced as \$\{var:out\}\)/);
    expect(missing.stderr).toMatch(/--var out=/);
    const run = await odibi(['run', 'pipeline.json', '--profile', 'prod'], { cwd: dir });
    expect(run.code).toBe(2);
    const typo = await odibi(['validate', 'pipeline.json', '--profile', 'prd'], { cwd: dir });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/profile 'prd' is not defined in odibi.profiles.json[\s\S]*did you mean 'prod'/);
    const bad = await odibi(['validate', 'pipeline.json', '--var', 'no equals sign'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--var takes name=value/);
  }, 60_000);
});
