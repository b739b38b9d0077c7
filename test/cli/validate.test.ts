/**
 * `odibi validate` is a dry run that fails where `odibi run` would: one config with seven faults
 * of different kinds reports all seven, each with its file:line and step, exit 2, and nothing is
 * written; `odibi run` refuses the same config before anything runs. The shipped configs (IoT in
 * three formats, the starter project, the sample notebooks converted) validate clean.
 */
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { odibi, REPO } from '../helpers/cli.js';
import { copyExample, tempDir } from '../helpers/project.js';

async function faultyProject(): Promise<string> {
  const dir = await tempDir('odibi-faults-');
  await mkdir(path.join(dir, 'data'));
  await cp(path.join(REPO, 'examples/iot/data/devices.csv'), path.join(dir, 'data/devices.csv'));
  await cp(path.join(REPO, 'examples/iot/transforms.ts'), path.join(dir, 'transforms.ts'));
  const steps = [
    { layer: 'ingest', name: 'ingest_devices', value: 'data/devices.csv', outputs: { data: 'devices' } },
    { layer: 'ingest', name: 'ingest_missing', value: 'data/no-such-file.csv', outputs: { data: 'missing' } },
    { layer: 'ingest', name: 'ingest_parket', value: 'data/devices.csv', params: { format: 'parket' }, outputs: { data: 'parket' } },
    { layer: 'transform', name: 'bad_syntax', value: 'SELEC device_id\nFROM d', inputs: { d: 'devices' }, outputs: { data: 'syntax' } },
    { layer: 'transform', name: 'bad_column', value: 'SELECT device_id,\n       sitee\nFROM d', inputs: { d: 'devices' }, outputs: { data: 'columns' } },
    { layer: 'transform', name: 'bad_export', type: 'function', value: 'transforms.ts#noSuchExport', inputs: { daily: 'devices' }, outputs: { data: 'rated' } },
    { layer: 'transform', name: 'bad_field', value: 'SELECT * FROM d', input: { d: 'devices' }, outputs: { data: 'typo' } },
    { layer: 'store', name: 'bad_mode', value: 'out/devices.parquet', params: { mode: 'apend' }, inputs: { data: 'devices' } },
  ];
  // One step per line, so each problem's line is the step's.
  await writeFile(path.join(dir, 'pipeline.json'), `{"name": "faults", "steps": [\n${steps.map((s) => `  ${JSON.stringify(s)}`).join(',\n')}\n]}\n`);
  return dir;
}

describe('odibi validate, a dry run', () => {
  it('reports seven faults of seven kinds at once, each with file:line and step, exit 2, nothing written', async () => {
    const dir = await faultyProject();
    const r = await odibi(['validate', 'pipeline.json'], { cwd: dir });
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('  - '));
    expect(lines).toHaveLength(7);
    const expected: Array<[number, string, RegExp]> = [
      [3, 'ingest_missing', /input file not found: .*data\/no-such-file\.csv/],
      [4, 'ingest_parket', /params\.format "parket" is not one of .*; did you mean 'parquet'\?/],
      [5, 'bad_syntax', /SQL syntax error \(line 1, column 1 of the SQL\): syntax error at or near "SELEC"/],
      [6, 'bad_column', /unknown column 'sitee' \(line 2, column 8 of the SQL\)/],
      [7, 'bad_export', /transforms\.ts has no export 'noSuchExport'/],
      [8, 'bad_field', /unknown field "input"/],
      [9, 'bad_mode', /params\.mode "apend" is not one of overwrite, append; did you mean 'append'\?/],
    ];
    for (const [line, step, message] of expected) {
      const found = lines.find((l) => l.includes(`pipeline.json:${line}: step '${step}': `));
      expect(found, `a problem on line ${line} for step ${step}`).toMatch(message);
    }
    expect(r.stderr).toMatch(/unknown column 'sitee'.*\n\s+hint: did you mean 'site'\?/);
    expect(r.stderr).toMatch(/unknown field "input"\n\s+hint: did you mean "inputs"\?/);
    expect(r.stderr).toMatch(/no export 'noSuchExport'\n\s+hint: its exports: rateDevices/);
    expect((await readdir(dir)).sort()).toEqual(['data', 'pipeline.json', 'transforms.ts']);

    const json = await odibi(['validate', 'pipeline.json', '--json'], { cwd: dir });
    expect(JSON.parse(json.stdout)).toMatchObject({ type: 'config_error' });
    expect(JSON.parse(json.stdout).problems).toHaveLength(7);
  });

  it('makes `odibi run` refuse the same config before anything runs: no output, no run record', async () => {
    const dir = await faultyProject();
    const r = await odibi(['run', 'pipeline.json'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/7 problems in .*pipeline\.json/);
    // Only the type-check cache may appear under .odibi; no run record, no output.
    expect((await readdir(dir)).filter((f) => f !== '.odibi').sort()).toEqual(['data', 'pipeline.json', 'transforms.ts']);
    const state = await readdir(path.join(dir, '.odibi')).catch(() => []);
    expect(state.filter((f) => f !== 'cache')).toEqual([]);
  });

  it('finds a type error in a TypeScript function module, with its file:line:column', async () => {
    const dir = await faultyProject();
    await writeFile(path.join(dir, 'typed.ts'), 'export function f(inputs: { d: unknown }) {\n  const n: number = "not a number";\n  return [{ n }];\n}\n');
    await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify({ steps: [
      { layer: 'ingest', name: 'ingest_devices', value: 'data/devices.csv', outputs: { data: 'devices' } },
      { layer: 'transform', name: 'typed', type: 'function', value: 'typed.ts#f', inputs: { d: 'devices' }, outputs: { data: 'x' } },
    ] }));
    const r = await odibi(['validate', 'pipeline.json'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/step 'typed': type error in typed\.ts:2:9: Type 'string' is not assignable to type 'number'/);
  });

  it('validates the shipped configs clean: IoT in three formats, the starter project, the sample notebooks', async () => {
    const iot = await copyExample();
    for (const f of ['pipeline.json', 'pipeline.csv', 'pipeline.db']) {
      const r = await odibi(['validate', path.join(iot, f)]);
      expect(r.code, `${f}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/note: step 'site_summary': its SQL was parsed but not bound to columns: step 'rate_devices' is a function step/);
    }
    const init = path.join(await tempDir('odibi-init-'), 'starter');
    expect((await odibi(['init', init])).code).toBe(0);
    const started = await odibi(['validate', path.join(init, 'pipeline.json')]);
    expect(started.code, started.stderr).toBe(0);
    const out = await tempDir('odibi-converted-');
    for (const nb of ['quickstart', 'ecommerce-analytics', 'fraud-detection', 'healthcare']) {
      const config = path.join(out, `${nb}.json`);
      expect((await odibi(['convert', path.join(REPO, 'notebooks', `${nb}.ipynb`), '-o', config])).code).toBe(0);
      const v = await odibi(['validate', config]);
      expect(v.code, `${nb}: ${v.stderr}`).toBe(0);
    }
  }, 120_000);
});
