/** Exit codes and error reporting of the CLI: 0 success, 1 a step failed, 2 invalid config or usage. */
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { events, odibi } from '../helpers/cli.js';
import { tempDir, writePipeline } from '../helpers/project.js';

const ingestRange = (name: string, key: string) => ({ layer: 'ingest', name, type: 'sql', value: 'SELECT range AS id FROM range(3)', outputs: { data: key } });

describe('exit codes', () => {
  it('is 0 when every step succeeds', async () => {
    const dir = await tempDir();
    const cfg = await writePipeline(dir, [ingestRange('numbers', 'n')]);
    const r = await odibi(['run', cfg]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✔ numbers\s+ingest\s+0 → 3 rows/);
    expect(r.stdout).toMatch(/Run succeeded/);
  });

  it('is 1 when a step fails, and names the step and the cause', async () => {
    const dir = await tempDir();
    const cfg = await writePipeline(dir, [
      ingestRange('numbers', 'n'),
      // Fails only on the data, so the check before the run passes it.
      { layer: 'transform', name: 'broken', value: "SELECT CAST('n' || id AS INTEGER) AS no_such_number FROM nums", inputs: { nums: 'n' }, outputs: { data: 'b' } },
    ]);
    const r = await odibi(['run', cfg]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✖ broken\s+transform\s+failed: .*Could not convert string 'n0' to INT32/);
    expect(r.stdout).toMatch(/hint: /);
    expect(r.stdout).toMatch(/Run failed/);
  });

  it('is 2 for an invalid config, listing every problem with its step and line', async () => {
    const dir = await tempDir();
    const cfg = await writePipeline(dir, [
      { layer: 'ingest', name: 'a', value: 'x.csv', outputs: { data: 'k' } },
      { layer: 'ingest', name: 'a', value: 'y.csv', outputs: { data: 'k2' } },
      { layer: 'transfrom', name: 'typo', value: 'SELECT 1', outputs: { data: 't' } },
      { layer: 'transform', name: 'reads_missing', value: 'SELECT * FROM m', inputs: { m: 'nowhere' }, outputs: { data: 'r' } },
      { layer: 'transform', name: 'alpha', value: 'SELECT * FROM b', inputs: { b: 'beta_out' }, outputs: { data: 'alpha_out' } },
      { layer: 'transform', name: 'beta', value: 'SELECT * FROM a', inputs: { a: 'alpha_out' }, outputs: { data: 'beta_out' } },
      { layer: 'store', name: 'sink', engine: 'spark', value: 'o.parquet', inputs: { data: 'k' } },
    ]);
    for (const cmd of ['run', 'validate']) {
      const r = await odibi([cmd, cfg]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/duplicate step name 'a'/);
      expect(r.stderr).toMatch(/step 'typo': unknown layer 'transfrom'/);
      expect(r.stderr).toMatch(/step 'reads_missing': input 'm' reads dataset 'nowhere', which no step produces/);
      expect(r.stderr).toMatch(/dependency cycle: (alpha → beta → alpha|beta → alpha → beta)/);
      expect(r.stderr).toMatch(/step 'sink': unknown engine 'spark'/);
      expect(r.stderr).toMatch(/pipeline\.json:\d+: step 'typo'/);
    }
  });

  it('is 2 for malformed JSON, pointing at line and column', async () => {
    const dir = await tempDir();
    const cfg = path.join(dir, 'bad.json');
    await writeFile(cfg, '[\n  {"layer": "ingest", "name": "a"\n  "value": "x.csv"}\n]\n');
    const r = await odibi(['validate', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json:3:3: malformed JSON: comma expected/);
  });

  it('is 2 for malformed CSV, pointing at the line', async () => {
    const dir = await tempDir();
    const cfg = path.join(dir, 'bad.csv');
    await writeFile(cfg, 'Layer,StepName,StepType,Engine,Value,Params,Inputs,Outputs,Metadata\ningest,a,,pandas,x.csv,{},{},"{""data"": ""k""}",{}\ningest,b,,pandas,y.csv,{"oops": 1},{},{},{}\n');
    const r = await odibi(['validate', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.csv:3:\d+: malformed CSV/);
  });

  it('is 2 for usage errors: unknown flag, unknown command, bad --workers, unknown selector', async () => {
    const dir = await tempDir();
    const cfg = await writePipeline(dir, [ingestRange('numbers', 'n')]);
    expect((await odibi(['run', cfg, '--wrokers', '2'])).code).toBe(2);
    expect((await odibi(['frobnicate'])).code).toBe(2);
    expect((await odibi(['run', cfg, '--workers', 'zero'])).code).toBe(2);
    const sel = await odibi(['run', cfg, '--only', 'numbrs']);
    expect(sel.code).toBe(2);
    expect(sel.stderr).toMatch(/no step named 'numbrs'.*\n.*did you mean 'numbers'/);
    expect((await odibi(['run', path.join(dir, 'missing.json')])).code).toBe(2);
    expect((await odibi(['--help'])).code).toBe(0);
  });

  it('reports config errors as JSON with --json', async () => {
    const dir = await tempDir();
    const cfg = await writePipeline(dir, [{ layer: 'ingest', name: 'a', outputs: { data: 'k' } }]);
    const r = await odibi(['run', cfg, '--json']);
    expect(r.code).toBe(2);
    const [e] = events(r.stdout);
    expect(e.type).toBe('config_error');
    expect(e.problems[0]).toMatchObject({ step: 'a', message: 'missing required field "value"' });
  });
});
