// Benchmark worker: the ODIBI side. Runs in its own process so every variant starts from a clean
// heap and its peak RSS is its own.
//
//   node odibi-worker.mjs run  <pipeline.json> [--workers N] [--executor bullmq --redis URL [--queue Q]]   runPipeline(..., { noState: true })
//   node odibi-worker.mjs plan <pipeline.json>                 loadPipeline + createPlan only
//
// The measured part starts after the modules are imported (the baseline imports DuckDB before its
// clock starts too) and includes everything runPipeline does: loading and validating the config,
// planning, creating the DuckDB instance, running the steps, committing the outputs.
import { createPlan, loadPipeline, runPipeline } from '../dist/index.js';
import { main, report, timed } from './lib.mjs';

main(async () => {
  const [mode, config, ...rest] = process.argv.slice(2);
  if (!config) throw new Error('usage: odibi-worker.mjs run|plan <pipeline.json> [--workers N]');

  if (mode === 'plan') {
    const { ms, value: plan } = await timed(async () => createPlan((await loadPipeline(config)).pipeline));
    return report({ wallMs: ms, steps: plan.steps.length, levels: plan.levels.length });
  }
  if (mode !== 'run') throw new Error(`unknown mode '${mode}'`);

  const flag = (name) => (rest.indexOf(name) >= 0 ? rest[rest.indexOf(name) + 1] : undefined);
  const workers = flag('--workers') === undefined ? undefined : Number(flag('--workers'));
  // --executor bullmq --redis URL: the steps run on `odibi worker`s (distributed.mjs starts them).
  const executor = flag('--executor');
  const { ms, value: result } = await timed(() => runPipeline(config, { noState: true, workers, ...(executor ? { executor, redis: flag('--redis'), ...(flag('--queue') ? { queue: flag('--queue') } : {}) } : {}) }));
  if (result.status !== 'success') {
    const errors = result.failed.map((name) => `${name}: ${result.record.steps[name]?.error?.message ?? '?'}`);
    throw new Error(`the pipeline failed:\n  ${errors.join('\n  ')}`);
  }
  // Per-step durations as the tracker saw them, to tell where the time went.
  const stepMs = Object.fromEntries(Object.values(result.record.steps).map((s) => [s.name, s.durationMs]));
  // Rows of the results (datasets no step reads): what the baseline reports too.
  const read = new Set(result.plan.steps.flatMap((p) => Object.values(p.step.inputs)));
  const rows = [...result.results.values()].reduce((n, r) => n + r.outputs.filter((o) => !read.has(o.key)).reduce((m, o) => m + (o.rows ?? 0), 0), 0);
  report({ wallMs: ms, steps: result.succeeded.length, rows, workers: result.record.options.workers, stepMs });
});
