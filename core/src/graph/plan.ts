/**
 * The plan: the selected steps grouped into topological levels. Level k holds steps whose
 * dependencies are all in levels < k, so each level could run fully in parallel. The plan is data
 * and runs nothing; the executor starts each step as soon as its own dependencies finish.
 */
import type { Pipeline, StepConfig } from '../config/model.js';
import { ConfigError } from '../errors.js';
import { buildDag, type Dag } from './dag.js';
import { selectSteps } from './select.js';

export interface PlannedStep {
  readonly step: StepConfig;
  readonly level: number;
  /** Dependencies that run in this plan. */
  readonly upstream: readonly string[];
  readonly downstream: readonly string[];
}

export interface Plan {
  readonly pipeline: Pipeline;
  readonly dag: Dag;
  /** Selected steps in topological order. */
  readonly steps: readonly PlannedStep[];
  readonly levels: readonly (readonly string[])[];
  /** Steps of the pipeline left out by --only/--skip. */
  readonly deselected: readonly string[];
}

export interface PlanOptions {
  only?: readonly string[];
  skip?: readonly string[];
}

/** A pipeline is immutable once validated: its graph is built once, however many plans read it. */
const dags = new WeakMap<Pipeline, Dag>();

export function dagOf(pipeline: Pipeline): Dag {
  const known = dags.get(pipeline);
  if (known) return known;
  const { dag, problems } = buildDag(pipeline.steps);
  if (!dag) throw new ConfigError(problems, pipeline.file);
  dags.set(pipeline, dag);
  return dag;
}

/**
 * The plan of one step run on its own, its inputs already in the database: a notebook cell's step.
 * Its graph holds that step alone, so a run record of it lists no other step as pending.
 */
export function singleStepPlan(pipeline: Pipeline, step: StepConfig): Plan {
  const name = step.name;
  const dag: Dag = {
    steps: new Map([[name, step]]), upstream: new Map([[name, []]]), downstream: new Map([[name, []]]),
    producers: new Map(Object.values(step.outputs).map((key) => [key, name])), order: [name],
  };
  return { pipeline, dag, steps: [{ step, level: 0, upstream: [], downstream: [] }], levels: [[name]], deselected: [] };
}

export function createPlan(pipeline: Pipeline, options: PlanOptions = {}): Plan {
  const dag = dagOf(pipeline);
  const chosen = selectSteps(dag, options.only, options.skip);
  const level = new Map<string, number>();
  for (const name of dag.order) {
    if (!chosen.has(name)) continue;
    const ups = dag.upstream.get(name)!.filter((u) => chosen.has(u));
    level.set(name, ups.length ? Math.max(...ups.map((u) => level.get(u)!)) + 1 : 0);
  }
  const steps: PlannedStep[] = dag.order.filter((n) => chosen.has(n)).map((name) => ({
    step: dag.steps.get(name)!,
    level: level.get(name)!,
    upstream: dag.upstream.get(name)!.filter((u) => chosen.has(u)),
    downstream: dag.downstream.get(name)!.filter((d) => chosen.has(d)),
  }));
  const levels: string[][] = [];
  for (const s of steps) (levels[s.level] ??= []).push(s.step.name);
  return { pipeline, dag, steps, levels, deselected: dag.order.filter((n) => !chosen.has(n)) };
}
