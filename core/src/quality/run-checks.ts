/**
 * Runs a step's data checks (config/checks.ts) on its dataset, in the step's own DuckDB session,
 * after the step made it and before anything reads it or any output is committed. Each check is
 * a query DuckDB answers with the number of failing rows (then, when some fail, up to 5 of them).
 */
import { checkName, type CheckSpec } from '../config/checks.js';
import type { CheckResult } from '../exec/events.js';

export type { CheckResult };
import { datasetTable, type Session } from '../engine/duckdb-engine.js';
import { ident, literal } from '../engine/sql.js';
import { parseDuration } from '../shared/duration.js';
import { StepError } from '../errors.js';

export const SAMPLE_ROWS = 5;

/** The dataset a check reads as `data` in its SQL. */
const DATA = 'data';

export async function runChecks(session: Session, key: string, checks: readonly CheckSpec[], now = new Date()): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of checks) out.push(await runCheck(session, key, c, now));
  return out;
}

async function runCheck(session: Session, key: string, c: CheckSpec, now: Date): Promise<CheckResult> {
  const base = { name: checkName(c), type: c.type, severity: c.severity ?? 'error' } as const;
  const inputs: Record<string, string> = { [DATA]: key };
  /** A check whose failing rows are those of `failingSql` (over `data`). */
  const rowsCheck = async (failingSql: string, describe: (n: number) => string): Promise<CheckResult> => {
    const [{ n }] = await session.queryWith(`SELECT count(*) AS n FROM (${failingSql})`, inputs);
    const failing = Number(n);
    if (failing === 0) return { ...base, passed: true, failing: 0, message: 'passed' };
    return { ...base, passed: false, failing, message: describe(failing), sample: await session.sampleOf(failingSql, inputs, SAMPLE_ROWS) };
  };
  const rows = (n: number) => `${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'}`;
  switch (c.type) {
    case 'not_null':
      return rowsCheck(`SELECT * FROM ${DATA} WHERE ${c.columns.map((col) => `${ident(col)} IS NULL`).join(' OR ')}`, (n) => `${rows(n)} ${n === 1 ? 'has' : 'have'} NULL ${c.columns.join(' or ')}`);
    case 'unique': {
      const cols = c.columns.map(ident).join(', ');
      const dupes = `SELECT ${cols}, count(*) AS duplicates FROM ${DATA} GROUP BY ${cols} HAVING count(*) > 1`;
      const [{ groups, n }] = await session.queryWith(`SELECT count(*) AS groups, coalesce(sum(duplicates), 0) AS n FROM (${dupes})`, inputs);
      const failing = Number(n);
      if (failing === 0) return { ...base, passed: true, failing: 0, message: 'passed' };
      return { ...base, passed: false, failing, message: `${rows(failing)} share ${Number(groups).toLocaleString('en-US')} value${Number(groups) === 1 ? '' : 's'} of ${c.columns.join(', ')}`, sample: await session.sampleOf(`${dupes} ORDER BY duplicates DESC`, inputs, SAMPLE_ROWS) };
    }
    case 'accepted_values':
      return rowsCheck(`SELECT * FROM ${DATA} WHERE ${ident(c.column)} IS NOT NULL AND ${ident(c.column)} NOT IN (${c.values.map(literal).join(', ')})`, (n) => `${rows(n)} ${n === 1 ? 'has' : 'have'} a ${c.column} outside ${c.values.map((v) => JSON.stringify(v)).join(', ')}`);
    case 'relationships':
      return rowsCheck(
        `SELECT ${DATA}.* FROM ${DATA} ANTI JOIN (SELECT DISTINCT ${ident(c.field)} AS __odibi_key FROM ${datasetTable(c.to)}) AS __to ON ${DATA}.${ident(c.column)} = __to.__odibi_key WHERE ${DATA}.${ident(c.column)} IS NOT NULL`,
        (n) => `${rows(n)} ${n === 1 ? 'has' : 'have'} a ${c.column} not found in ${c.to}.${c.field}`,
      );
    case 'sql':
      return rowsCheck(c.query, (n) => `the query returned ${rows(n)} (it must return none)`);
    case 'row_count': {
      const [{ n }] = await session.queryWith(`SELECT count(*) AS n FROM ${DATA}`, inputs);
      const count = Number(n);
      const low = c.min !== undefined && count < c.min;
      const high = c.max !== undefined && count > c.max;
      if (!low && !high) return { ...base, passed: true, failing: 0, message: `${rows(count)}` };
      return { ...base, passed: false, failing: 1, message: `${rows(count)}, expected ${low ? `at least ${c.min!.toLocaleString('en-US')}` : `at most ${c.max!.toLocaleString('en-US')}`}` };
    }
    case 'freshness': {
      const maxAge = parseDuration(c.max_age, 'max_age');
      const [{ latest }] = await session.queryWith(`SELECT CAST(max(CAST(${ident(c.column)} AS TIMESTAMP)) AS VARCHAR) AS latest FROM ${DATA}`, inputs);
      if (latest === null || latest === undefined) return { ...base, passed: false, failing: 1, message: `no ${c.column} to judge by (no rows, or all NULL)` };
      // DuckDB's TIMESTAMP has no zone: its text is read as UTC, as DuckDB's own now() is.
      const age = now.getTime() - Date.parse(`${String(latest).replace(' ', 'T')}Z`);
      if (age <= maxAge) return { ...base, passed: true, failing: 0, message: `latest ${c.column} is ${latest}` };
      return { ...base, passed: false, failing: 1, message: `latest ${c.column} is ${latest}, older than ${c.max_age}` };
    }
  }
}

/** Error checks that failed: the step fails, so nothing downstream runs and nothing is committed. */
export class CheckFailedError extends StepError {
  constructor(step: string, readonly failed: readonly CheckResult[]) {
    super(step, failed.map((r) => `check ${r.name} failed: ${r.message}${r.sample?.length ? `\n${r.sample.map((row) => `    ${JSON.stringify(row)}`).join('\n')}` : ''}`).join('\n'), {
      hint: 'fix the data upstream (or the check); a check that should not stop the run takes "severity": "warn"',
    });
    this.name = 'CheckFailedError';
  }
}
