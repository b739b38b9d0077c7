/**
 * A config checked as far as it can be, in one report: its shape and params (validation), then a
 * dry run of every step that passed. `odibi validate` prints it; `odibi run` runs only if it is
 * clean.
 */
import { collectProblems, settingsFor } from '../load/pipeline.js';
import { readRawPipeline, type LoadOptions } from '../config/load.js';
import type { Pipeline } from '../config/model.js';
import type { ConfigProblem } from '../errors.js';
import { dryRun, type DryRunOptions } from './dry-run.js';
import { createPlan, type PlanOptions } from '../graph/plan.js';
import { cachedDryRun } from './dry-run-cache.js';

export interface CheckedConfig {
  pipeline: Pipeline;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
  notes: ConfigProblem[];
}

export interface CheckOptions extends LoadOptions, Omit<DryRunOptions, 'steps'>, PlanOptions {
  /**
   * Where passed dry runs are remembered (see dry-run-cache.ts): `odibi run` skips the dry run of
   * a pipeline unchanged since it last passed. Unset (`odibi validate`): always checked.
   */
  dryRunCache?: string;
}

export async function checkConfig(file: string, options: CheckOptions = {}): Promise<CheckedConfig> {
  const raw = await readRawPipeline(file, options);
  const { pipeline, warnings, problems } = collectProblems(raw, await settingsFor(raw, options));
  // A run checks the steps it will run (--only/--skip), as runPipeline does; a step left out is not its concern.
  const steps = problems.length === 0 && (options.only?.length || options.skip?.length) ? createPlan(pipeline, options).steps.map((p) => p.step.name) : undefined;
  const dryOptions = { typecheck: options.typecheck, cacheDir: options.cacheDir, objectCacheDir: options.objectCacheDir, steps };
  // A config with problems is checked in full, so every problem shows at once.
  const dry = options.dryRunCache && problems.length === 0 ? await cachedDryRun(pipeline, dryOptions, options.dryRunCache) : await dryRun(pipeline, dryOptions);
  return { pipeline, problems: [...problems, ...dry.problems], warnings, notes: dry.notes };
}
