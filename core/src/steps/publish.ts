/**
 * publish: exports the input dataset to a file (JSON array, CSV, Parquet) or POSTs it as JSON rows
 * to `params.url` in batches of `params.batch_size` (default 1000).
 */
import { StepError } from '../errors.js';
import { datasetTable } from '../engine/duckdb-engine.js';
import { jsonSafeRow } from '../engine/values.js';
import { firstInput, type StepContext, type StepHandler } from './context.js';
import { modeOf, writeDatasetFile } from './write-file.js';

export const runPublish: StepHandler = async (ctx) => {
  const { step } = ctx;
  const { key } = firstInput(step);
  if (typeof step.params.url === 'string' || step.type === 'api') return postRows(ctx, key);
  const rows = await ctx.session.count(key);
  await writeDatasetFile(ctx, key, step.value, modeOf(ctx));
  return { rowsWritten: rows };
};

async function postRows(ctx: StepContext, key: string): Promise<{ rowsWritten: number }> {
  const { step } = ctx;
  const url = typeof step.params.url === 'string' ? step.params.url : step.value;
  const batchSize = Math.max(1, Number(step.params.batch_size ?? 1000));
  const headers = Object.fromEntries(Object.entries((step.params.headers ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  const rows = (await ctx.session.readRows(datasetTable(key))).map(jsonSafeRow);
  for (let i = 0; i < Math.max(rows.length, 1); i += batchSize) {
    const batch = rows.slice(i, i + batchSize);
    let res: Response;
    try {
      res = await fetch(url, {
        method: String(step.params.method ?? 'POST'),
        // A replayed stream batch sends the same key, so the endpoint can drop the repeat.
        headers: { 'content-type': 'application/json', ...(ctx.batch ? { 'idempotency-key': `${ctx.batch.stream}/${ctx.batch.id}/${step.name}/${i / batchSize}` } : {}), ...headers },
        body: JSON.stringify(batch),
        signal: ctx.signal,
      });
    } catch (err) {
      throw new StepError(step.name, `POST ${url} failed: ${(err as Error).message}`, { cause: err, hint: 'check that the endpoint is reachable; set params.retries to retry' });
    }
    if (!res.ok) {
      const text = (await res.text().catch(() => '')).slice(0, 200);
      throw new StepError(step.name, `POST ${url} answered ${res.status} ${res.statusText}${text ? `: ${text}` : ''}`, { hint: 'check the URL, the headers (tokens via ${env:NAME}) and the payload the endpoint expects' });
    }
    ctx.log(`posted rows ${i + 1}-${i + batch.length} to ${url}`);
    if (rows.length === 0) break;
  }
  return { rowsWritten: rows.length };
}
