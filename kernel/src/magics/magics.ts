/**
 * The pipeline magics. Each one turns its arguments into a step definition (or a question about
 * the recorded pipeline) and calls the core's public API, exactly as the CLI would.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkFromMagic, CHECK_USAGE, dagOf, declareStep, didYouMean, errorMessage, MagicUsageError, OdibiError, STEP_MAGICS, toMermaid, toSvg, writeFunctionModule, type CheckResult, type MagicCall, type NotebookSession, type RunEvent, type StepState } from '@odibi/core';
import { previewBundle } from '../display/table.js';
import type { MimeBundle, OutputSink } from '../protocol/handler.js';
import { renderProgress, renderSummary } from '../display/run-progress.js';
import { throttle } from '../display/throttle.js';
import { dagBundle } from '../display/dag.js';
import { chartBundle, chartValues, fieldType, MARKS } from '../display/chart.js';
import { BackgroundJobs, JobError, SCHEDULE_USAGE, STREAM_USAGE } from './jobs.js';

/** Rows sent to a chart: enough for any plot, small enough for a notebook file. */
const CHART_ROWS = 5000;

export class MagicError extends Error {
  constructor(readonly magic: string, message: string, readonly hint?: string) {
    super(message);
    this.name = 'MagicError';
  }
}

export interface MagicContext {
  session: NotebookSession;
  sink: OutputSink;
  /** A TypeScript variable of the notebook (for `%%sql --template`). */
  variable(name: string): { found: boolean; value?: unknown; names: string[] };
  /** Kept between cells: how the last %run left each step (for %dag); streams and schedules running. */
  memory: { lastRun?: Map<string, StepState>; jobs?: BackgroundJobs };
}

interface MagicSpec {
  kind: 'line' | 'cell';
  usage: string;
  summary: string;
  options?: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
  positionals: number;
  run(ctx: MagicContext, args: { values: Record<string, unknown>; positionals: string[] }, body: string, call: MagicCall): Promise<MimeBundle | undefined>;
}


function knownKey(ctx: MagicContext, magic: string, key: string): void {
  const keys = ctx.session.keys();
  if (!keys.includes(key)) {
    throw new MagicError(magic, `unknown dataset '${key}'`, keys.length ? didYouMean(key, keys, `defined datasets: ${keys.join(', ')}`) : 'define one first, e.g. %ingest sales data/sales.csv');
  }
}

function jobsOf(ctx: MagicContext): BackgroundJobs {
  return (ctx.memory.jobs ??= new BackgroundJobs(ctx.session.baseDir));
}

function text(s: string): MimeBundle {
  return { 'text/plain': s };
}

/** A step magic: the core says which step its arguments declare; the kernel runs and shows it. */
function defineStep(name: string): MagicSpec['run'] {
  return async (ctx, _parsed, _body, call) => {
    // Without --template the SQL goes to DuckDB exactly as written; its inputs are the tables
    // DuckDB's parser finds in it.
    const ms = await declareStep(call, ctx.session.keys(), (sql) => ctx.session.parseSql(sql), (sql) => fillTemplate(ctx, sql));
    for (const k of ms.inputs) knownKey(ctx, name, k);
    const fields = { ...ms.fields };
    if (ms.ts) fields.value = await writeFunctionModule(ctx.session.baseDir, fields.name, ms.inputs, ms.ts.body);
    // What the step logs (a function step's ctx.log) is an event; it goes to this cell's output.
    const r = await ctx.session.define(fields, {
      hooks: [(e) => {
        if (e.type === 'step_log') ctx.sink.stream('stdout', `${e.step}: ${e.message}\n`);
        // The step's data checks, under the cell (a failed error check also fails the cell).
        if (e.type === 'step_check') ctx.sink.stream(e.check.passed || e.check.severity === 'warn' ? 'stdout' : 'stderr', `${checkLine(e.check)}\n`);
      }],
    });
    const target = String(fields.value || (fields.params as Record<string, unknown> | undefined)?.url || '');
    const out = r.outputs[0];
    // A notebook step runs on its own, never fused: its output is a counted table.
    if (out) return previewBundle({ key: out.key, rows: out.rows ?? 0, schema: out.schema, sample: out.sample ?? [] });
    if (fields.layer === 'connect') return text(`connected '${fields.name}'`);
    return text(`${fields.layer === 'store' ? 'stored' : 'published'} ${r.rowsOut.toLocaleString('en-US')} rows of ${ms.inputs[0]} to ${target}`);
  };
}

const MAGICS: Record<string, MagicSpec> = {
  ingest: { kind: 'line', positionals: -1, usage: STEP_MAGICS.ingest.usage, summary: 'read a file into dataset <key> and show a preview', run: defineStep('ingest') },
  sql: { kind: 'cell', positionals: -1, usage: `${STEP_MAGICS.sql.usage}\n<SQL over earlier dataset keys used as table names; with --template, {{var}} is replaced by the TypeScript variable var>`, summary: 'run SQL over earlier datasets and register the result as <key>', run: defineStep('sql') },
  ts: { kind: 'cell', positionals: -1, usage: `${STEP_MAGICS.ts.usage}\n<TypeScript function body: each input is an apache-arrow Table named after its key; return a Table or an array of rows>`, summary: 'a TypeScript function step over earlier datasets, registered as <key>', run: defineStep('ts') },
  store: { kind: 'line', positionals: -1, usage: STEP_MAGICS.store.usage, summary: 'write dataset <key> to a file', run: defineStep('store') },
  publish: { kind: 'line', positionals: -1, usage: `${STEP_MAGICS.publish.usage}   (a file path, or an http(s) URL to POST JSON rows to)`, summary: 'export dataset <key> to a file or an HTTP endpoint', run: defineStep('publish') },
  connect: { kind: 'line', positionals: -1, usage: STEP_MAGICS.connect.usage, summary: 'open a named connection (DuckDB or SQLite file, postgres:// URL)', run: defineStep('connect') },
  chart: {
    kind: 'line', positionals: -1,
    usage: '%chart <key> <mark> x=<col> y=<col> [color=<col>]   (or %%chart <key> with a vega-lite JSON body)',
    summary: 'chart a dataset (vega-lite, with an SVG fallback)',
    async run(ctx, { positionals }) {
      const [key, mark, ...encodings] = positionals;
      if (!key || !mark) throw new MagicError('chart', 'missing argument', 'usage: %chart <key> <mark> x=<col> y=<col> [color=<col>]');
      knownKey(ctx, 'chart', key);
      if (!(MARKS as readonly string[]).includes(mark)) throw new MagicError('chart', `unknown mark '${mark}'`, didYouMean(mark, [...MARKS], `marks: ${MARKS.join(', ')}`));
      const { schema } = await ctx.session.snapshot(key, 0);
      const columns = new Map(schema.map((c) => [c.name, c.type]));
      const encoding: Record<string, unknown> = {};
      for (const e of encodings) {
        const [channel, field] = e.split('=', 2);
        if (!['x', 'y', 'color', 'size', 'shape', 'opacity', 'theta', 'text', 'column', 'row'].includes(channel) || !field) {
          throw new MagicError('chart', `cannot read '${e}'`, 'write channel=column, e.g. x=day y=avg_temperature_c color=site');
        }
        if (!columns.has(field)) throw new MagicError('chart', `dataset '${key}' has no column '${field}'`, didYouMean(field, [...columns.keys()], `columns: ${[...columns.keys()].join(', ')}`));
        encoding[channel] = { field, type: fieldType(columns.get(field)!) };
      }
      if (!encoding.x && !encoding.theta) throw new MagicError('chart', 'no x= given', 'usage: %chart <key> <mark> x=<col> y=<col> [color=<col>]');
      const values = chartValues(await ctx.session.rows(key, CHART_ROWS));
      return chartBundle({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', data: { values }, mark, encoding, width: 480, height: 280 }, `${mark} chart of ${key}`);
    },
  },
  steps: {
    kind: 'line', positionals: 0,
    usage: '%steps',
    summary: 'list the steps recorded so far',
    async run(ctx) {
      const defs = ctx.session.pipeline().steps;
      if (defs.length === 0) return text('no steps yet: start with %ingest <key> <path>');
      const rows = defs.map((s) => ({ step: s.name, layer: s.layer, type: s.type, inputs: Object.values(s.inputs).join(', '), outputs: Object.values(s.outputs).join(', '), value: s.value.length > 60 ? `${s.value.slice(0, 57)}...` : s.value }));
      const schema = ['step', 'layer', 'type', 'inputs', 'outputs', 'value'].map((name) => ({ name, type: '' }));
      return previewBundle({ key: 'pipeline', rows: rows.length, schema, sample: rows, noun: 'step' });
    },
  },
  dag: {
    kind: 'line', positionals: 0,
    usage: '%dag',
    summary: "draw the notebook's pipeline (SVG, same layout as `odibi dag`)",
    async run(ctx) {
      const dag = dagOf(ctx.session.pipeline());
      return dagBundle(toSvg(dag, { states: ctx.memory.lastRun }), toMermaid(dag));
    },
  },
  run: {
    kind: 'line', positionals: 0,
    usage: '%run [--only SELECTOR] [--skip SELECTOR] [--executor bullmq --redis URL [--queue NAME] [--exchange URI]]',
    summary: 'run the recorded pipeline from scratch through the executor, with live progress (on odibi workers with --executor bullmq)',
    options: {
      only: { type: 'string', multiple: true }, skip: { type: 'string', multiple: true },
      executor: { type: 'string' }, redis: { type: 'string' }, queue: { type: 'string' }, exchange: { type: 'string' },
    },
    async run(ctx, { values }) {
      const displayId = `odibi-run-${Date.now()}`;
      const events: RunEvent[] = [];
      ctx.sink.display(renderProgress(events), {}, displayId);
      // At most one redraw per 100 ms, the latest state always within 100 ms, the end at once.
      const redraw = throttle(() => ctx.sink.updateDisplay(renderProgress(events), {}, displayId), 100);
      const executor = values.executor as string | undefined;
      if (executor !== undefined && executor !== 'local' && executor !== 'bullmq') throw new Error(`--executor is local or bullmq, not '${executor}'`);
      const result = await ctx.session.run({
        only: values.only as string[] | undefined,
        skip: values.skip as string[] | undefined,
        ...(executor ? { executor } : {}),
        ...(values.redis ? { redis: values.redis as string } : {}),
        ...(values.queue ? { queue: values.queue as string } : {}),
        ...(values.exchange ? { exchange: values.exchange as string } : {}),
        hooks: [(e) => {
          if (e.type === 'step_log') ctx.sink.stream('stdout', `${e.step}: ${e.message}\n`);
          events.push(e);
          if (e.type === 'run_end') redraw.flush();
          else redraw.poke();
        }],
      });
      ctx.memory.lastRun = new Map(Object.values(result.record.steps).map((st) => [st.name, st.status]));
      return renderSummary(result);
    },
  },
  check: {
    kind: 'line', positionals: -1,
    usage: CHECK_USAGE,
    summary: 'add a data check to the step that makes <key>, and run it now (%run and %export keep it)',
    async run(ctx, _parsed, _body, call) {
      const { key, check } = checkFromMagic(call);
      const result = await ctx.session.addCheck(key, check);
      if (!result.passed && result.severity === 'error') {
        throw new MagicError('check', checkLine(result), 'the check is kept: fix the data (or the check), and re-run the cell that makes the dataset');
      }
      return text(checkLine(result));
    },
  },
  set: {
    kind: 'line', positionals: -1,
    usage: '%set <name> <value>   (then ${var:name} in any cell; %export keeps the reference)',
    summary: 'set a variable that steps use as ${var:name}',
    async run(ctx, { positionals: [name, ...rest] }) {
      if (!name || rest.length === 0) throw new MagicError('set', 'missing argument', 'usage: %set <name> <value>, e.g. %set data_root data/sample');
      const value = rest.join(' ');
      ctx.session.setVar(name, value);
      return text(`${name} = ${value}`);
    },
  },
  vars: {
    kind: 'line', positionals: 0,
    usage: '%vars',
    summary: 'list the variables set with %set, and the steps that use each',
    async run(ctx) {
      const vars = Object.entries(ctx.session.vars());
      if (vars.length === 0) return text('no variables yet: %set <name> <value>, then ${var:name} in a cell');
      const defs = ctx.session.definitions();
      const rows = vars.map(([name, value]) => ({
        name, value,
        used_by: defs.filter((d) => JSON.stringify([d.value, d.params]).includes(`\${var:${name}`)).map((d) => d.name).join(', '),
      }));
      return previewBundle({ key: 'variables', rows: rows.length, schema: ['name', 'value', 'used_by'].map((n) => ({ name: n, type: '' })), sample: rows, noun: 'variable' });
    },
  },
  export: {
    kind: 'line', positionals: 1,
    usage: '%export <path.json> [--parameterize]',
    summary: 'write the recorded pipeline as a config that `odibi run` executes (--parameterize: input and output folders become data_root and out_root)',
    options: { parameterize: { type: 'boolean' } },
    async run(ctx, { positionals: [file], values }) {
      const target = await ctx.session.export(file, undefined, { parameterize: !!values.parameterize });
      // Relative to the notebook's folder: the notebook (and its saved output) stays portable.
      const rel = path.relative(ctx.session.baseDir, target) || target;
      return text(`wrote ${rel}: run it with  odibi run ${rel}  (from the notebook's folder)`);
    },
  },
  stream: {
    kind: 'line', positionals: -1,
    usage: STREAM_USAGE,
    summary: 'run a streaming pipeline config in the background, with a live status display',
    async run(ctx, _parsed, _body, call) {
      return jobsOf(ctx).stream(call.args, ctx.sink);
    },
  },
  schedule: {
    kind: 'line', positionals: -1,
    usage: SCHEDULE_USAGE,
    summary: 'run a pipeline config on a cron, interval or file trigger in the background',
    async run(ctx, _parsed, _body, call) {
      return jobsOf(ctx).schedule(call.args, ctx.sink);
    },
  },
  lsmagic: {
    kind: 'line', positionals: 0,
    usage: '%lsmagic',
    summary: 'list the magics',
    async run() {
      const lines = Object.entries(MAGICS).map(([name, m]) => `${m.kind === 'cell' ? '%%' : '%'}${name.padEnd(9)} ${m.summary}`);
      return text(`${lines.join('\n')}\n\n%help <magic> shows the usage of one.`);
    },
  },
  help: {
    kind: 'line', positionals: -1,
    usage: '%help [magic]',
    summary: 'show how to use a magic',
    async run(_ctx, { positionals: [name] }) {
      if (!name) return MAGICS.lsmagic.run(_ctx, { values: {}, positionals: [] }, '', { kind: 'line', name: 'lsmagic', args: [], body: '' });
      const spec = MAGICS[name.replace(/^%+/, '')];
      if (!spec) throw new MagicError('help', `no magic named '${name}'`, didYouMean(name.replace(/^%+/, ''), Object.keys(MAGICS), 'see %lsmagic'));
      return text(`${spec.usage}\n\n${spec.summary}`);
    },
  },
};

/** One data check's result as a line (and its failing rows). */
function checkLine(c: CheckResult): string {
  const mark = c.passed ? '✔' : c.severity === 'warn' ? '⚠' : '✖';
  return `${mark} check ${c.name}${c.severity === 'warn' ? ' (warn)' : ''}: ${c.message}${(c.sample ?? []).map((row) => `\n    ${JSON.stringify(row)}`).join('')}`;
}

/** `{{name}}` → the TypeScript variable's value, as text. */
function fillTemplate(ctx: MagicContext, sql: string): string {
  return sql.replace(/\{\{\s*([A-Za-z_$][\w$]*)\s*\}\}/g, (_m, name: string) => {
    const v = ctx.variable(name);
    if (!v.found) throw new MagicError('sql', `no TypeScript variable '${name}' for {{${name}}}`, didYouMean(name, v.names, 'define it in a TypeScript cell first, e.g. const minTemp = 20'));
    return v.value instanceof Date ? v.value.toISOString() : String(v.value);
  });
}

/** `%%chart <key>`: a hand-written vega-lite spec; the dataset goes in as its data. */
async function chartCell(ctx: MagicContext, args: string[], body: string): Promise<MimeBundle> {
  const [key] = args;
  if (!key) throw new MagicError('chart', 'missing argument', 'usage: %%chart <key> followed by a vega-lite JSON spec');
  knownKey(ctx, 'chart', key);
  let spec: Record<string, unknown>;
  try {
    spec = JSON.parse(body) as Record<string, unknown>;
  } catch (err) {
    throw new MagicError('chart', `the vega-lite spec is not valid JSON: ${(err as Error).message}`, 'the body of %%chart is a JSON object like {"mark": "bar", "encoding": {...}}');
  }
  if (!spec.data) spec = { ...spec, data: { values: chartValues(await ctx.session.rows(key, CHART_ROWS)) } };
  try {
    return await chartBundle({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', ...spec }, `chart of ${key}`);
  } catch (err) {
    throw new MagicError('chart', `vega-lite could not render the spec: ${(err as Error).message}`, 'check the mark and the encoding fields against the dataset columns');
  }
}

function parseMagicArgs(spec: MagicSpec, call: MagicCall): { values: Record<string, unknown>; positionals: string[] } {
  const usage = `usage: ${spec.usage.split('\n')[0]}`;
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: call.args, options: spec.options ?? {}, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    throw new MagicError(call.name, (err as Error).message.replace(/\. To specify a positional.*$/s, ''), usage);
  }
  if (spec.positionals >= 0 && parsed.positionals.length !== spec.positionals) {
    throw new MagicError(call.name, parsed.positionals.length < spec.positionals ? 'missing argument' : `too many arguments (${parsed.positionals.slice(spec.positionals).join(' ')})`, usage);
  }
  return parsed;
}

export function magicNames(): string[] {
  return Object.keys(MAGICS);
}

/** Runs one magic; throws MagicError (with the magic's name and a hint) for anything wrong. */
export async function runMagic(ctx: MagicContext, call: MagicCall): Promise<MimeBundle | undefined> {
  if (call.name === 'chart' && call.kind === 'cell') return chartCell(ctx, call.args, call.body);
  const spec = MAGICS[call.name];
  const shown = `${call.kind === 'cell' ? '%%' : '%'}${call.name}`;
  if (!spec) throw new MagicError(call.name, `unknown magic ${shown}`, didYouMean(call.name, Object.keys(MAGICS), 'see %lsmagic for the list'));
  if (spec.kind !== call.kind) {
    throw new MagicError(call.name, `${shown} is a ${spec.kind} magic`, `write it as ${spec.kind === 'cell' ? '%%' : '%'}${call.name}: ${spec.usage.split('\n')[0]}`);
  }
  // Step magics parse their own arguments in the core, shared with `odibi convert`.
  const ownArgs = call.name in STEP_MAGICS || call.name === 'stream' || call.name === 'schedule' || call.name === 'check';
  const parsed = ownArgs ? { values: {}, positionals: [] } : parseMagicArgs(spec, call);
  try {
    return await spec.run(ctx, parsed, call.body, call);
  } catch (err) {
    if (err instanceof MagicError) throw err;
    if (err instanceof JobError) throw new MagicError(err.magic, err.message, err.hint);
    if (err instanceof MagicUsageError) throw new MagicError(err.magic, err.message, err.hint);
    const hint = err instanceof OdibiError ? err.hint : undefined;
    let message = err instanceof OdibiError ? err.message : errorMessage(err);
    // A position in the cell's SQL, as the cell shows it: the SQL starts on the cell's line 2.
    if (err instanceof OdibiError && err.sql) message += ` (line ${err.sql.line + (call.kind === 'cell' ? 1 : 0)}${err.sql.column !== undefined ? `, column ${err.sql.column}` : ''} of the cell)`;
    throw new MagicError(call.name, message, hint);
  }
}
