import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBEngine, type Session } from '../engine/duckdb-engine.js';
import { runChecks } from './run-checks.js';

let engine: DuckDBEngine;
let session: Session;
beforeEach(async () => {
  engine = await DuckDBEngine.create({ baseDir: '/tmp' });
  session = await engine.session();
  await session.materialize('readings', "SELECT * FROM (VALUES ('d1', TIMESTAMP '2026-11-29 06:00:00'), ('d2', TIMESTAMP '2026-11-30 06:00:00')) t(device_id, ts)");
  await session.materialize('empty', 'SELECT * FROM r LIMIT 0', { r: 'readings' });
});
afterEach(() => {
  session.close();
  engine.close();
});

describe('freshness', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  it('passes while the latest value is younger than max_age, and fails once older, or with no rows', async () => {
    const [fresh, stale] = await runChecks(session, 'readings', [{ type: 'freshness', column: 'ts', max_age: '12h' }, { type: 'freshness', column: 'ts', max_age: '5h', name: 'five_hours' }], now);
    expect(fresh).toMatchObject({ passed: true, message: 'latest ts is 2026-11-30 06:00:00' });
    expect(stale).toMatchObject({ name: 'five_hours', passed: false, failing: 1, message: 'latest ts is 2026-11-30 06:00:00, older than 5h', severity: 'error' });
    const [none] = await runChecks(session, 'empty', [{ type: 'freshness', column: 'ts', max_age: '1d', severity: 'warn' }], now);
    expect(none).toMatchObject({ passed: false, severity: 'warn', message: 'no ts to judge by (no rows, or all NULL)' });
  });

  it('reads a row_count minimum and a unique check over several columns', async () => {
    const [few, unique] = await runChecks(session, 'readings', [{ type: 'row_count', min: 3 }, { type: 'unique', columns: ['device_id', 'ts'] }], now);
    expect(few).toMatchObject({ passed: false, message: '2 rows, expected at least 3' });
    expect(unique).toMatchObject({ passed: true, failing: 0 });
  });
});
