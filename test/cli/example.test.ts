/**
 * The bronze → silver → gold IoT example through the real CLI: the JSON, CSV and SQLite configs
 * (the latter two written v1-style with engine "pandas") give identical gold output, and the
 * values are what the cleaning rules promise.
 */
import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { odibi } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { copyExample, tempDir } from '../helpers/project.js';

const FORMATS = ['pipeline.json', 'pipeline.csv', 'pipeline.db'] as const;
const dirs: Record<string, string> = {};

beforeAll(async () => {
  for (const f of FORMATS) {
    dirs[f] = await copyExample();
    const r = await odibi(['run', path.join(dirs[f], f), '--project', 'iot_sensors']);
    expect(r.stderr).toBe('');
    expect(r.code, r.stdout).toBe(0);
  }
}, 120_000);

const gold = (dir: string) => query(`SELECT * FROM read_parquet('${dir}/out/gold/device_health.parquet') ORDER BY device_id, day`);

describe('IoT example', () => {
  it('gives identical gold output from JSON, CSV and SQLite configs', async () => {
    const [json, csv, db] = await Promise.all(FORMATS.map((f) => gold(dirs[f])));
    expect(json.length).toBeGreaterThan(100);
    expect(csv).toEqual(json);
    expect(db).toEqual(json);
    const reports = await Promise.all(FORMATS.map((f) => readFile(path.join(dirs[f], 'out/reports/site_summary.json'), 'utf8')));
    expect(JSON.parse(reports[1])).toEqual(JSON.parse(reports[0]));
    expect(JSON.parse(reports[2])).toEqual(JSON.parse(reports[0]));
  });

  it('cleans silver: no duplicates, no bad rows, typed columns', async () => {
    const dir = dirs['pipeline.json'];
    const silver = `read_parquet('${dir}/out/silver/readings.parquet')`;
    const raw = `read_csv('${dir}/data/readings.csv', all_varchar=true)`;
    const [stats] = await query(`SELECT count(*) AS n, count(DISTINCT reading_id) AS ids, count(*) FILTER (WHERE device_id IS NULL OR ts IS NULL) AS bad, max(temperature_c) AS max_t, count(*) FILTER (WHERE temperature_c IS NULL) AS null_t FROM ${silver}`);
    expect(stats.n).toBe(stats.ids);
    expect(stats.bad).toBe(0);
    expect(stats.max_t as number).toBeLessThanOrEqual(85);
    // Missing temperatures are kept as NULL rather than dropped.
    expect(stats.null_t as number).toBeGreaterThan(0);
    // Every valid raw reading survives: distinct ids with a device, a parseable time and a sane
    // temperature; an unreadable one (missing, "ERR") is kept as NULL, an impossible one drops the row.
    const [expected] = await query(`SELECT count(DISTINCT reading_id) AS n FROM ${raw} WHERE NULLIF(device_id, '') IS NOT NULL AND TRY_CAST(ts AS TIMESTAMP) IS NOT NULL AND (TRY_CAST(temperature_c AS DOUBLE) IS NULL OR TRY_CAST(temperature_c AS DOUBLE) BETWEEN -40 AND 85)`);
    expect(stats.n).toBe(expected.n);
    const types = await query(`DESCRIBE SELECT * FROM ${silver}`);
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toMatchObject({ reading_id: 'BIGINT', ts: 'TIMESTAMP', temperature_c: 'DOUBLE' });
  });

  it('computes gold from silver, including the TypeScript function step', async () => {
    const dir = dirs['pipeline.json'];
    const rows = await gold(dir);
    const [check] = await query(`SELECT count(*) AS device_days, sum(readings) AS readings FROM (SELECT device_id, CAST(ts AS DATE) FROM read_parquet('${dir}/out/silver/readings.parquet') GROUP BY ALL) g, (SELECT count(*) AS readings FROM read_parquet('${dir}/out/silver/readings.parquet'))`);
    expect(rows.length).toBe(check.device_days);
    for (const r of rows) {
      expect(['ok', 'hot', 'sparse']).toContain(r.status);
      const t = r.avg_temperature_c as number | null;
      if (r.status === 'hot') expect(t).toBeGreaterThan(24.5);
      if (t !== null && r.avg_humidity_pct !== null) {
        const expected = Math.round(Math.max(0, 100 - Math.abs(t - 21) * 6 - Math.abs((r.avg_humidity_pct as number) - 45) * 1.2) * 100) / 100;
        expect(r.comfort_index).toBeCloseTo(expected, 6);
      }
    }
    const summary = JSON.parse(await readFile(path.join(dir, 'out/reports/site_summary.json'), 'utf8'));
    expect(summary.map((s: { site: string }) => s.site)).toEqual(['office-hq', 'plant-north', 'plant-south', 'warehouse-east']);
    expect(summary.reduce((n: number, s: { readings: number }) => n + s.readings, 0)).toBe(rows.reduce((n, r) => n + (r.readings as number), 0));
  });

  it('records rows, schema, samples and lineage per step', async () => {
    const dir = dirs['pipeline.json'];
    const r = await odibi(['runs', 'show', 'latest', '--config', path.join(dir, 'pipeline.json'), '--json']);
    expect(r.code).toBe(0);
    const rec = JSON.parse(r.stdout);
    expect(rec.status).toBe('success');
    const clean = rec.steps.clean_readings;
    // The raw readings are read inside the cleaning query (fused): a view, never stored or
    // counted, whose schema still comes from DuckDB.
    expect(rec.steps.ingest_readings.rowsOut).toBeNull();
    expect(rec.steps.ingest_readings.outputs[0]).toMatchObject({ key: 'bronze_readings', rows: null, inlinedInto: 'clean_readings' });
    expect(rec.steps.ingest_readings.schema.map((c: { name: string }) => c.name)).toEqual(['reading_id', 'device_id', 'ts', 'temperature_c', 'humidity_pct', 'battery_pct']);
    expect(clean.rowsIn).toBeNull();
    expect(clean.rowsOut).toBeGreaterThan(100);
    expect(clean.schema.map((c: { name: string }) => c.name)).toEqual(['reading_id', 'device_id', 'ts', 'temperature_c', 'humidity_pct', 'battery_pct']);
    expect(clean.sample).toHaveLength(5);
    expect(clean.schemaDiff.changed).toContainEqual({ name: 'reading_id', from: 'VARCHAR', to: 'BIGINT' });
    expect(rec.steps.rate_devices.schemaDiff.added.map((c: { name: string }) => c.name)).toEqual(['status', 'comfort_index']);
    expect(rec.steps.rate_devices.logs[0]).toMatch(/rated \d+ device-days/);
    expect(rec.lineage.silver_readings).toEqual({ producer: 'clean_readings', consumers: ['device_daily', 'store_silver'] });
  });

  it('counts every dataset with --no-fuse', async () => {
    const dir = await copyExample();
    expect((await odibi(['run', path.join(dir, 'pipeline.json'), '--no-fuse'])).code).toBe(0);
    const rec = JSON.parse((await odibi(['runs', 'show', 'latest', '--config', path.join(dir, 'pipeline.json'), '--json'])).stdout);
    expect(rec.options.fuse).toBe(false);
    const clean = rec.steps.clean_readings;
    expect(clean.rowsIn).toBe(rec.steps.ingest_readings.rowsOut);
    expect(clean.rowsOut).toBeLessThan(clean.rowsIn);
    expect(rec.steps.ingest_readings.sample).toHaveLength(5);
  });

  it('runs from any working directory: paths resolve against the config folder', async () => {
    const dir = await copyExample();
    const elsewhere = await tempDir();
    const r = await odibi(['run', path.join(dir, 'pipeline.json')], { cwd: elsewhere });
    expect(r.code, r.stderr).toBe(0);
    expect((await gold(dir)).length).toBeGreaterThan(0);
  });

  it('validates all three formats', async () => {
    for (const f of FORMATS) {
      const r = await odibi(['validate', path.join(dirs[f], f), '--project', 'iot_sensors']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/is valid — 9 steps in 6 levels/);
    }
  });

  it('ignores disabled rows and other projects in CSV configs', async () => {
    const dir = await copyExample();
    await cp(path.join(dir, 'pipeline.csv'), path.join(dir, 'copy.csv'));
    const r = await odibi(['validate', path.join(dir, 'copy.csv'), '--json']);
    const out = JSON.parse(r.stdout);
    const names = out.steps.map((s: { name: string }) => s.name);
    expect(names).toContain('legacy_step');
    expect(names).not.toContain('disabled_step');
    const only = JSON.parse((await odibi(['validate', path.join(dir, 'copy.csv'), '--json', '--project', 'iot_sensors'])).stdout);
    expect(only.steps.map((s: { name: string }) => s.name)).not.toContain('legacy_step');
  });
});
