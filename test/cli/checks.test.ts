/**
 * Data checks (`params.checks`) through the real `odibi` CLI: every kind passing and failing, as
 * errors and as warnings; a failed error check fails its step and leaves every output of the run
 * untouched; results in the run record, `odibi runs show` and the progress lines.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { events, odibi } from '../helpers/cli.js';
import { tempDir, writePipeline } from '../helpers/project.js';
import { query } from '../helpers/duckdb.js';

const READINGS = 'device_id,status,temp,ts\nd1,ok,20.5,2026-11-30 10:00:00\nd2,ok,21.0,2026-11-30 11:00:00\nd3,hot,30.1,2026-11-30 12:00:00\n';
const BAD = 'device_id,status,temp,ts\nd1,ok,20.5,2026-11-30 10:00:00\n,ok,21.0,2026-11-30 11:00:00\nd1,weird,30.1,2026-11-30 12:00:00\nd9,ok,-300,2020-01-01 00:00:00\n';
const DEVICES = 'device_id,site\nd1,north\nd2,south\nd3,east\n';

/** Every kind of check, each once as an error and once as a warning. */
function checks(severity: 'error' | 'warn') {
  return [
    { type: 'not_null', columns: ['device_id'], severity },
    { type: 'unique', columns: ['device_id'], severity },
    { type: 'accepted_values', column: 'status', values: ['ok', 'hot'], severity },
    { type: 'row_count', min: 1, max: 3, severity },
    { type: 'relationships', column: 'device_id', to: 'devices', field: 'device_id', severity },
    { type: 'freshness', column: 'ts', max_age: '3650d', severity, name: 'recent' },
    { type: 'sql', query: 'SELECT * FROM data WHERE temp < -273.15', severity, name: 'physical_temps' },
  ];
}

async function project(readings: string, severity: 'error' | 'warn'): Promise<string> {
  const dir = await tempDir('odibi-checks-');
  await mkdir(path.join(dir, 'data'));
  await writeFile(path.join(dir, 'data/readings.csv'), readings);
  await writeFile(path.join(dir, 'data/devices.csv'), DEVICES);
  await writePipeline(dir, [
    { layer: 'ingest', name: 'load_devices', value: 'data/devices.csv', outputs: { data: 'devices' } },
    { layer: 'ingest', name: 'load', value: 'data/readings.csv', outputs: { data: 'readings' } },
    { layer: 'transform', name: 'clean', value: 'SELECT * FROM readings', inputs: { readings: 'readings' }, outputs: { data: 'clean' }, params: { checks: checks(severity) } },
    { layer: 'store', name: 'save', value: 'out/clean.parquet', inputs: { data: 'clean' } },
    { layer: 'store', name: 'save_devices', value: 'out/devices.parquet', inputs: { data: 'devices' } },
  ]);
  return dir;
}

const byName = (ev: Record<string, any>[]): Record<string, any> => Object.fromEntries(ev.filter((e) => e.type === 'step_check').map((e) => [e.check.name, e.check]));

describe('data checks', () => {
  it('pass on good data: every kind, recorded per step and shown', async () => {
    const dir = await project(READINGS, 'error');
    const r = await odibi(['run', 'pipeline.json', '--json'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const results = byName(events(r.stdout));
    expect(Object.keys(results)).toEqual(['not_null(device_id)', 'unique(device_id)', 'accepted_values(status)', 'row_count(1..3)', 'relationships(device_id → devices.device_id)', 'recent', 'physical_temps']);
    expect(Object.values(results).every((c) => c.passed)).toBe(true);
    const human = await odibi(['run', 'pipeline.json'], { cwd: dir });
    expect(human.stdout).toMatch(/✔ clean .*· 7 checks passed/);
  }, 60_000);

  it('fail on bad data as errors: the step fails, nothing is committed, and the error shows each check with its failing rows', async () => {
    const dir = await project(READINGS, 'error');
    expect((await odibi(['run', 'pipeline.json'], { cwd: dir })).code).toBe(0);
    const before = await Promise.all(['out/clean.parquet', 'out/devices.parquet'].map(async (f) => [await readFile(path.join(dir, f)), (await stat(path.join(dir, f))).mtimeMs]));
    await writeFile(path.join(dir, 'data/readings.csv'), BAD);
    const r = await odibi(['run', 'pipeline.json', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const ev = events(r.stdout);
    const results = byName(ev);
    expect(Object.fromEntries(Object.entries(results).map(([n, c]) => [n, [c.passed, c.failing]]))).toEqual({
      'not_null(device_id)': [false, 1], 'unique(device_id)': [false, 2], 'accepted_values(status)': [false, 1], 'row_count(1..3)': [false, 1],
      'relationships(device_id → devices.device_id)': [false, 1], recent: [true, 0], physical_temps: [false, 1],
    });
    expect(results['not_null(device_id)'].message).toBe('1 row has NULL device_id');
    expect(results['row_count(1..3)'].message).toBe('4 rows, expected at most 3');
    expect(results['relationships(device_id → devices.device_id)'].sample).toEqual([{ device_id: 'd9', status: 'ok', temp: -300, ts: '2020-01-01T00:00:00.000Z' }]);
    const err = ev.find((e) => e.type === 'step_error')!;
    expect(err.step).toBe('clean');
    expect(err.error.message).toMatch(/^check not_null\(device_id\) failed: 1 row has NULL device_id\n {4}\{"device_id":null,/);
    expect(err.error.message).toContain('check physical_temps failed: the query returned 1 row (it must return none)');
    // Nothing downstream ran, and no output of the run changed (save_devices succeeded, but the run failed).
    expect(ev.find((e) => e.type === 'step_skipped' && e.step === 'save')).toBeDefined();
    expect(ev.find((e) => e.type === 'run_end')!.committed).toEqual([]);
    const after = await Promise.all(['out/clean.parquet', 'out/devices.parquet'].map(async (f) => [await readFile(path.join(dir, f)), (await stat(path.join(dir, f))).mtimeMs]));
    expect(after).toEqual(before);
    // The record keeps them; `odibi runs show` shows them.
    const runId = ev.find((e) => e.type === 'run_start')!.runId;
    const record = JSON.parse(await readFile(path.join(dir, '.odibi/runs', `${runId}.json`), 'utf8'));
    expect(record.steps.clean.checks).toHaveLength(7);
    const shown = await odibi(['runs', 'show', runId], { cwd: dir });
    expect(shown.stdout).toMatch(/✖ check unique\(device_id\): 2 rows share 1 value of device_id\n\s+\{"device_id":"d1","duplicates":2\}/);
    expect(shown.stdout).toMatch(/✔ check recent: latest ts is 2026-11-30 12:00:00/);
  }, 60_000);

  it('as warnings, are recorded and shown, and the run goes on and commits', async () => {
    const dir = await project(BAD, 'warn');
    const r = await odibi(['run', 'pipeline.json', '--json'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const results = byName(events(r.stdout));
    expect(Object.values(results).filter((c) => !c.passed).map((c) => c.severity)).toEqual(['warn', 'warn', 'warn', 'warn', 'warn', 'warn']);
    expect(await stat(path.join(dir, 'out/clean.parquet')).then(() => true)).toBe(true);
    const human = await odibi(['run', 'pipeline.json'], { cwd: dir });
    expect(human.stdout).toMatch(/⚠ clean: check not_null\(device_id\): 1 row has NULL device_id/);
    expect(human.stdout).toMatch(/✔ clean .*· 1 check passed, 6 warnings/);
  }, 60_000);

  it('freshness fails on data older than max_age: as an error it fails the run, as a warning it is recorded', async () => {
    const dir = await project(READINGS, 'error');
    const steps = (severity: 'error' | 'warn') => [
      { layer: 'ingest', name: 'load', value: 'data/readings.csv', outputs: { data: 'readings' }, params: { checks: [{ type: 'freshness', column: 'ts', max_age: '1h', severity }] } },
      { layer: 'store', name: 'save', value: 'out/readings.parquet', inputs: { data: 'readings' } },
    ];
    await writePipeline(dir, steps('error'));
    const r = await odibi(['run', 'pipeline.json', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(events(r.stdout).find((e) => e.type === 'step_error')!.error.message).toBe('check freshness(ts, 1h) failed: latest ts is 2026-11-30 12:00:00, older than 1h');
    await writePipeline(dir, steps('warn'));
    const w = await odibi(['run', 'pipeline.json'], { cwd: dir });
    expect(w.code, w.stderr).toBe(0);
    expect(w.stdout).toMatch(/⚠ load: check freshness\(ts, 1h\): latest ts is 2026-11-30 12:00:00, older than 1h/);
  }, 60_000);

  it('odibi check runs them against what the sinks wrote, without running the pipeline', async () => {
    const dir = await project(READINGS, 'error');
    expect((await odibi(['run', 'pipeline.json'], { cwd: dir })).code).toBe(0);
    const ok = await odibi(['check', 'pipeline.json'], { cwd: dir });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/✔ clean \(clean\)\n\s+✔ not_null\(device_id\): passed/);
    expect(ok.stdout).toMatch(/all checks passed/);
    // The stored output goes bad behind the pipeline's back: check says so, and runs nothing.
    await query(`COPY (SELECT * FROM read_csv('${path.join(dir, 'data/readings.csv')}') UNION ALL SELECT 'd1', 'ok', 1.0, TIMESTAMP '2026-11-30 00:00:00') TO '${path.join(dir, 'out/clean.parquet')}' (FORMAT parquet)`);
    const bad = await odibi(['check', 'pipeline.json', '--json'], { cwd: dir });
    expect(bad.code).toBe(1);
    const results = byName(events(bad.stdout));
    expect(results['unique(device_id)']).toMatchObject({ passed: false, failing: 2 });
    expect(results['row_count(1..3)']).toMatchObject({ passed: false, message: '4 rows, expected at most 3' });
    // No run was made: the one record is the first run's.
    expect(await readdir(path.join(dir, '.odibi/runs'))).toHaveLength(1);
  }, 60_000);

  it('refuses malformed checks at validate, naming the step and the check', async () => {
    const dir = await project(READINGS, 'error');
    await writePipeline(dir, [
      { layer: 'ingest', name: 'load', value: 'data/readings.csv', outputs: { data: 'readings' }, params: { checks: [{ type: 'not_nul', columns: ['x'] }, { type: 'row_count' }] } },
      { layer: 'ingest', name: 'load_devices', value: 'data/devices.csv', outputs: { data: 'devices' }, params: { checks: [{ type: 'relationships', column: 'a', to: 'device', field: 'b' }] } },
    ]);
    const r = await odibi(['validate', 'pipeline.json'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/load.*params\.checks\[0\]\.type: "type" is one of not_null, unique/);
    expect(r.stderr).toMatch(/params\.checks\[1\]: needs "min", "max" or both/);
    expect(r.stderr).toMatch(/load_devices.*a relationships check reads dataset 'device', which no step produces/);
    expect(r.stderr).toMatch(/did you mean 'devices'/);
  }, 60_000);
});
