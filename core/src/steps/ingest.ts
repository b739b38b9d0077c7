/**
 * ingest: reads a file (CSV, Parquet, JSON/NDJSON; local, glob or http(s)), runs SQL on a
 * connection or on DuckDB, fetches JSON from an API, or calls a function; the result becomes the
 * step's output dataset.
 */
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StepError } from '../errors.js';
import { rowsToColumns } from '../engine/js-columns.js';
import { namedArgs, str } from '../engine/sql.js';
import { isUrl, resolvePath, type HandlerResult, type StepContext, type StepHandler } from './context.js';
import type { StepConfig } from '../config/model.js';
import { readWithBadRows, REJECTS_ALIAS, sniffedCsvTrouble, type BadRowPolicy } from './bad-rows.js';
import { formatOf, readerFor, readFilesSql, type FileFormat } from './formats.js';
import { runFunctionStep } from './function-step.js';
import type { BatchInput } from './batch-input.js';
import { BROKER_MODES } from '../config/stream-spec.js';
import { locate } from '../storage/locate.js';
import { localCopies } from '../storage/read-cache.js';

export const runIngest: StepHandler = async (ctx) => {
  const { step } = ctx;
  const { key } = dataOutput(step);
  const batchInput = ctx.batch?.inputs[step.name];
  if (batchInput) return ingestBatch(ctx, key, batchInput);
  const mode = (step.params.stream as { mode?: unknown } | undefined)?.mode;
  if (typeof mode === 'string' && BROKER_MODES.has(mode)) {
    throw new StepError(step.name, `this step reads a ${mode === 'redis' ? 'Redis stream' : 'NATS JetStream subject'}: it has input only in a stream`, { hint: 'run the pipeline with `odibi stream`, which takes the messages exactly once' });
  }
  switch (step.type) {
    case 'sql':
      return ingestSql(ctx, key);
    case 'api':
      return ingestApi(ctx, key);
    case 'function':
      return runFunctionStep(ctx);
    default:
      return ingestFile(ctx, key);
  }
};

async function ingestSql(ctx: StepContext, key: string): Promise<void> {
  const name = ctx.step.params.connection;
  if (typeof name === 'string') {
    const conn = ctx.connections.get(name);
    if (!conn) throw new StepError(ctx.step.name, `connection '${name}' is not open`, { hint: `the connect step '${name}' must run first; do not --skip it` });
    await conn.ingest(ctx.session, ctx.step.value, key);
  } else {
    await ctx.produce(key, ctx.step.value);
  }
}

async function ingestFile(ctx: StepContext, key: string): Promise<HandlerResult | void> {
  const { step } = ctx;
  const options = (step.params.options ?? {}) as Record<string, unknown>;
  const format = formatOf(step.name, step.value, step.params.format);
  const reader = readerFor(format);
  const loc = await locate(ctx.pipeline, step);
  if (loc) {
    // Local copies, fetched only when the object changed (by ETag); several objects read as one.
    const copies = await localCopies(loc, ctx.objectCacheDir, ctx.signal);
    const fetched = copies.filter((c) => c.fetched).length;
    ctx.log(`${loc.uri}: ${copies.length} object${copies.length === 1 ? '' : 's'}, ${fetched} fetched, ${copies.length - fetched} unchanged in the cache`);
    if (hasSchema(step)) return readChecked(ctx, copies.map((c) => c.file), format);
    await ctx.produce(key, readFilesSql(format, copies.map((c) => c.file), options));
    return;
  }
  let source = resolvePath(ctx.pipeline, step.value);
  if (isUrl(source)) {
    source = await download(ctx, source);
  } else {
    if (!(await exists(ctx, source))) {
      throw new StepError(step.name, `input file not found: ${source}`, { hint: `paths are relative to the config folder ${ctx.pipeline.baseDir}` });
    }
  }
  if (hasSchema(step)) return readChecked(ctx, [source], format);
  if (format === 'csv' && !isUrl(step.value)) await refuseMangled(ctx, source, options);
  const args = namedArgs({ ...reader.defaults, ...options });
  await ctx.produce(key, `SELECT * FROM ${reader.fn}(${str(source)}${args})`);
}

/** A CSV that DuckDB's sniffer could read only by skipping its first lines fails, rather than reading mangled. */
async function refuseMangled(ctx: StepContext, source: string, options: Record<string, unknown>): Promise<void> {
  const trouble = await sniffedCsvTrouble(ctx.session, source, options);
  if (trouble) throw new StepError(ctx.step.name, trouble, { hint: 'give the step params.schema ({"column": "TYPE", …}): its bad rows are then reported by file:line, column and reason, or skipped or quarantined with params.on_bad_rows' });
}

/** The dataset an ingest makes (with on_bad_rows "quarantine", its other output is "rejects"). */
function dataOutput(step: StepConfig): { alias: string; key: string } {
  const [alias, key] = Object.entries(step.outputs).find(([a]) => a !== REJECTS_ALIAS) ?? Object.entries(step.outputs)[0];
  return { alias, key };
}

function hasSchema(step: StepConfig): boolean {
  return !!step.params.schema && typeof step.params.schema === 'object';
}

/** Files read row by row against params.schema; bad rows as params.on_bad_rows says (steps/bad-rows.ts). */
async function readChecked(ctx: StepContext, sources: string[], format: FileFormat): Promise<HandlerResult> {
  const { step } = ctx;
  const policy = (step.params.on_bad_rows as BadRowPolicy | undefined) ?? 'fail';
  const badRows = await readWithBadRows(ctx.session, {
    step: step.name, sources, format, policy, schema: step.params.schema as Record<string, string>,
    options: (step.params.options ?? {}) as Record<string, unknown>, key: dataOutput(step).key, rejectsKey: step.outputs[REJECTS_ALIAS],
  });
  if (badRows) ctx.log(`${badRows.count.toLocaleString('en-US')} bad row${badRows.count === 1 ? '' : 's'} ${badRows.policy === 'skip' ? 'skipped' : `quarantined in '${step.outputs[REJECTS_ALIAS]}'`}`);
  return badRows ? { badRows } : {};
}

/** A stream micro-batch, or one part of a partitioned ingest: exactly these files (or none: an empty table of the same shape). */
async function ingestBatch(ctx: StepContext, key: string, input: BatchInput): Promise<HandlerResult | void> {
  const reader = readerFor(input.format);
  if (input.files.length === 0) {
    if (!input.like) throw new StepError(ctx.step.name, 'this stream source has had no input yet', { hint: 'the batch waits for its first input' });
    await ctx.session.materialize(key, `SELECT * FROM ${reader.fn}(${str(input.like)}${namedArgs({ ...reader.defaults, ...input.options })}) LIMIT 0`);
    return;
  }
  // produce: a part of a partitioned ingest reads its files inside the next step's query (a stream batch stores them).
  if (hasSchema(ctx.step)) return readChecked(ctx, input.files, input.format);
  await ctx.produce(key, readFilesSql(input.format, input.files, input.options));
}

/** A path or glob matches at least one file. */
async function exists(ctx: StepContext, source: string): Promise<boolean> {
  if (/[*?[]/.test(source)) {
    const rows = await ctx.session.query(`SELECT count(*) AS n FROM glob(${str(source)})`);
    return Number(rows[0].n) > 0;
  }
  return access(source).then(() => true, () => false);
}

async function download(ctx: StepContext, url: string): Promise<string> {
  const res = await fetch(url, { headers: headersOf(ctx), signal: ctx.signal });
  if (!res.ok) throw new StepError(ctx.step.name, `GET ${url} answered ${res.status} ${res.statusText}`, { hint: 'check the URL and credentials' });
  const file = path.join(ctx.tmpDir, `${ctx.step.name.replace(/[^\w.-]/g, '_')}${path.extname(new URL(url).pathname)}`);
  await writeFile(file, Buffer.from(await res.arrayBuffer()));
  return file;
}

function headersOf(ctx: StepContext): Record<string, string> {
  const h = ctx.step.params.headers;
  return h && typeof h === 'object' ? Object.fromEntries(Object.entries(h).map(([k, v]) => [k, String(v)])) : {};
}

async function ingestApi(ctx: StepContext, key: string): Promise<void> {
  const { step } = ctx;
  const url = typeof step.params.url === 'string' ? step.params.url : step.value;
  const res = await fetch(url, { headers: { accept: 'application/json', ...headersOf(ctx) }, signal: ctx.signal });
  if (!res.ok) throw new StepError(step.name, `GET ${url} answered ${res.status} ${res.statusText}`, { hint: 'check the URL and credentials' });
  let body: unknown = await res.json();
  const recordsPath = typeof step.params.records_path === 'string' ? step.params.records_path : '';
  for (const part of recordsPath.split('.').filter(Boolean)) body = (body as Record<string, unknown> | undefined)?.[part];
  if (!Array.isArray(body)) {
    throw new StepError(step.name, `the API response${recordsPath ? ` at '${recordsPath}'` : ''} is not an array of records`, { hint: 'set params.records_path to the field holding the records, e.g. "data.items"' });
  }
  await ctx.session.writeColumns(key, rowsToColumns(body as Record<string, unknown>[]));
}
