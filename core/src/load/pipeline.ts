/**
 * A config becomes a validated pipeline: the steps' own checks (config/) and the graph's
 * (graph/: dangling inputs, cycles), every problem of both in one ConfigError.
 */
import { readRawPipeline, type LoadOptions } from '../config/load.js';
import type { RawPipeline } from '../config/model.js';
import { resolveProfile } from '../config/profiles.js';
import { validateSteps, type ValidatedPipeline, type ValidateOptions } from '../config/validate.js';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { buildDag } from '../graph/dag.js';

/** Every problem, without throwing, and the pipeline of the steps that passed. */
export function collectProblems(raw: RawPipeline, options: ValidateOptions = {}): ValidatedPipeline & { problems: ConfigProblem[] } {
  const { pipeline, warnings, problems, rejectedOutputs, disabled } = validateSteps(raw, options);
  if (problems.length === 0 || pipeline.steps.length > 0) {
    problems.push(...buildDag(pipeline.steps, new Map(disabled.map((d) => [d.name, d])), rejectedOutputs).problems);
  }
  return { pipeline, warnings, problems };
}

/** Throws one ConfigError listing every problem found. */
export function validatePipeline(raw: RawPipeline, options: ValidateOptions = {}): ValidatedPipeline {
  const { pipeline, warnings, problems } = collectProblems(raw, options);
  if (problems.length > 0) throw new ConfigError(problems, raw.file);
  return { pipeline, warnings };
}

/**
 * What validation substitutes and overrides under the chosen profile: its variables under the
 * command line's (`--var` wins), and its connection settings.
 */
export async function settingsFor(raw: RawPipeline, options: LoadOptions = {}): Promise<ValidateOptions> {
  const profile = await resolveProfile(raw, options.profile, options.env);
  return { ...options, profile: profile.name, vars: { ...profile.vars, ...options.vars }, connections: profile.connections };
}

/** Reads and validates a pipeline config; throws ConfigError listing every problem found. */
export async function loadPipeline(file: string, options: LoadOptions = {}): Promise<ValidatedPipeline> {
  const raw = await readRawPipeline(file, options);
  return validatePipeline(raw, await settingsFor(raw, options));
}

export type { LoadOptions };
