/**
 * `odibi check <config>`: the pipeline's data checks against what it already wrote, without
 * running it (as `dbt test`). A step's checks run on the dataset it checks as a sink stored it: a
 * store or publish step's target file(s), or, for any other step, the target of a sink that
 * writes its dataset. A relationships check's `to` dataset is found the same way. A dataset no
 * sink stores cannot be checked here (a note says so): run the pipeline.
 */
import path from 'node:path';
import { checksOf, checkInputs } from '../../config/checks.js';
import type { Pipeline, StepConfig } from '../../config/model.js';
import { DuckDBEngine, datasetTable, type Session } from '../../engine/duckdb-engine.js';
import { str } from '../../engine/sql.js';
import type { CheckResult } from '../../exec/events.js';
import { createPlan } from '../../graph/plan.js';
import { loadPipeline } from '../../load/pipeline.js';
import { runChecks } from '../../quality/run-checks.js';
import { localCopies } from '../../storage/read-cache.js';
import { objectCacheDirOf } from '../../storage/cache-dir.js';
import { locate } from '../../storage/locate.js';
import { resolvePath } from '../../steps/context.js';
import { formatOf, readFilesSql } from '../../steps/formats.js';
import { REJECTS_ALIAS } from '../../steps/bad-rows.js';
import { EXIT, reportError } from '../errors.js';
import { painter } from '../format.js';
import { settingsOf } from '../options.js';

export interface CheckCommandOptions {
  project?: string;
  only?: string[];
  json?: boolean;
  var?: Record<string, string>;
  vars?: string;
  profile?: string;
}

export async function checkCommand(config: string, o: CheckCommandOptions): Promise<number> {
  try {
    const { pipeline } = await loadPipeline(config, { project: o.project, ...(await settingsOf(o)) });
    const plan = createPlan(pipeline, { only: o.only });
    const steps = plan.steps.map((p) => p.step).filter((s) => checksOf(s).length);
    const p = painter(process.stdout);
    const say = (line: string) => { if (!o.json) process.stdout.write(`${line}\n`); };
    const emit = (e: object) => { if (o.json) process.stdout.write(`${JSON.stringify(e)}\n`); };
    if (!steps.length) {
      say(`${config}: no step declares params.checks`);
      return EXIT.ok;
    }
    const engine = await DuckDBEngine.create({ baseDir: pipeline.baseDir });
    const session = await engine.session();
    const cacheDir = objectCacheDirOf(path.join(pipeline.baseDir, '.odibi'));
    let failed = 0;
    let unchecked = 0;
    try {
      const loaded = new Map<string, string | undefined>();
      /** Loads dataset `key` from where a sink stored it, as a view; returns why not when it cannot. */
      const load = async (key: string, own?: StepConfig): Promise<string | undefined> => {
        if (loaded.has(key)) return loaded.get(key);
        const sink = own ?? pipeline.steps.find((s) => (s.layer === 'store' || s.layer === 'publish') && Object.values(s.inputs)[0] === key && typeof s.params.connection !== 'string' && !s.params.url);
        let why: string | undefined;
        if (!sink) why = `no sink stores dataset '${key}'`;
        else {
          const files = await storedFiles(pipeline, sink, cacheDir, session);
          if (!files.length) why = `${sink.name} has written nothing yet (${sink.value})`;
          else await session.run(`CREATE OR REPLACE VIEW ${datasetTable(key)} AS ${readFilesSql(formatOf(sink.name, sink.value, sink.params.format, sink.params.mode === 'append' ? 'parquet' : undefined), files)}`);
        }
        loaded.set(key, why);
        return why;
      };
      for (const step of steps) {
        const sink = step.layer === 'store' || step.layer === 'publish' ? step : undefined;
        const key = sink ? Object.values(step.inputs)[0] : Object.entries(step.outputs).find(([alias]) => alias !== REJECTS_ALIAS)?.[1] ?? Object.values(step.outputs)[0];
        const why = (await load(key, sink)) ?? (await firstProblem(checkInputs(step), (k) => load(k)));
        if (why) {
          unchecked++;
          say(`${p('gray', '○')} ${p('bold', step.name)} ${p('dim', `not checked: ${why}`)}`);
          emit({ type: 'check_skipped', step: step.name, reason: why });
          continue;
        }
        const results = await runChecks(session, key, checksOf(step));
        say(`${results.every((r) => r.passed || r.severity === 'warn') ? p('green', '✔') : p('red', '✖')} ${p('bold', step.name)} ${p('dim', sink ? `(${sink.value})` : `(${key})`)}`);
        for (const r of results) {
          if (!r.passed && r.severity === 'error') failed++;
          emit({ type: 'step_check', step: step.name, check: r });
          say(line(p, r));
        }
      }
    } finally {
      session.close();
      engine.close();
    }
    say(failed ? p('red', `\n${failed} check${failed === 1 ? '' : 's'} failed`) : p('green', `\nall checks passed${unchecked ? p('dim', ` (${unchecked} step${unchecked === 1 ? '' : 's'} not checked)`) : ''}`));
    return failed ? EXIT.failed : EXIT.ok;
  } catch (err) {
    return reportError(err, !!o.json);
  }
}

function line(p: ReturnType<typeof painter>, r: CheckResult): string {
  const mark = r.passed ? p('green', '✔') : r.severity === 'warn' ? p('yellow', '⚠') : p('red', '✖');
  const rows = (r.sample ?? []).map((row) => p('dim', `\n      ${JSON.stringify(row)}`)).join('');
  return `  ${mark} ${r.name}${r.severity === 'warn' ? p('dim', ' (warn)') : ''}: ${r.passed ? p('dim', r.message) : r.message}${rows}`;
}

async function firstProblem(keys: string[], load: (k: string) => Promise<string | undefined>): Promise<string | undefined> {
  for (const k of keys) {
    const why = await load(k);
    if (why) return why;
  }
  return undefined;
}

/** The local files holding what a sink wrote: its target, every part of an append folder, or local copies of objects. */
async function storedFiles(pipeline: Pipeline, sink: StepConfig, cacheDir: string, session: Session): Promise<string[]> {
  const append = sink.params.mode === 'append';
  const target = append ? `${sink.value.replace(/\/+$/, '')}/*` : sink.value;
  const loc = await locate(pipeline, sink, target).catch(() => undefined);
  if (loc) return (await localCopies(loc, cacheDir).catch(() => [])).map((c) => c.file);
  // Hidden files are other runs' staging files, never committed output.
  return (await session.query(`SELECT file FROM glob(${str(resolvePath(pipeline, append ? `${target}.*` : target))}) ORDER BY file`)).map((r) => String(r.file)).filter((f) => !path.basename(f).startsWith('.'));
}
