/**
 * A config checked as far as it can be, in one report: its shape and params (validation), then a
 * dry run of every step that passed. `odibi validate` prints it; `odibi run` runs only if it is
 * clean.
 */
import { collectProblems } from '../load/pipeline.js';
import { readRawPipeline, type LoadOptions } from '../config/load.js';
import type { Pipeline } from '../config/model.js';
import type { ConfigProblem } from '../errors.js';
import { dryRun, type DryRunOptions } from './dry-run.js';

export interface CheckedConfig {
  pipeline: Pipeline;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
  notes: ConfigProblem[];
}

export async function checkConfig(file: string, options: LoadOptions & Omit<DryRunOptions, 'steps'> = {}): Promise<CheckedConfig> {
  const { pipeline, warnings, problems } = collectProblems(await readRawPipeline(file, options), options);
  const dry = await dryRun(pipeline, { typecheck: options.typecheck, cacheDir: options.cacheDir });
  return { pipeline, problems: [...problems, ...dry.problems], warnings, notes: dry.notes };
}
