import { describe, it, expect } from 'vitest';
import type { Layer, Pipeline, StepConfig } from '../config/model.js';
import { SelectionError } from '../errors.js';
import { buildDag, type Dag } from './dag.js';
import { createPlan, type PlanOptions } from './plan.js';
import { stepConfig, type StepSpec } from '../testing/step-config.js';

// ---------------------------------------------------------------------------------------------
// Helpers: steps are described by what they read and write, as in a config file.
// ---------------------------------------------------------------------------------------------


function step(layer: Layer, name: string, spec: StepSpec = {}, line?: number): StepConfig {
  return stepConfig(layer, name, { ...spec, line });
}

function pipelineOf(steps: StepConfig[]): Pipeline {
  return { name: 'test', file: '/project/pipeline.json', baseDir: '/project', steps, secrets: [] };
}

function dagOf(steps: StepConfig[]): Dag {
  const { dag, problems } = buildDag(steps);
  expect(problems).toEqual([]);
  return dag!;
}

/** Problem messages of a graph expected to be rejected. */
function graphProblems(steps: StepConfig[]): { step?: string; message: string; hint?: string; line?: number }[] {
  const { dag, problems } = buildDag(steps);
  expect(dag).toBeUndefined();
  return problems.map(({ step, message, hint, line }) => ({ step, message, hint, line }));
}

function selectionErrorOf(run: () => unknown): SelectionError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(SelectionError);
    return err as SelectionError;
  }
  throw new Error('expected a SelectionError, but the selection was accepted');
}

/*
 * Two independent branches:
 *   load_readings → clean → save_clean
 *   load_sites → sites
 */
const branches = (): Pipeline => pipelineOf([
  step('ingest', 'load_readings', { writes: ['raw_readings'] }),
  step('transform', 'clean', { reads: ['raw_readings'], writes: ['clean_readings'] }),
  step('store', 'save_clean', { reads: ['clean_readings'] }),
  step('ingest', 'load_sites', { writes: ['raw_sites'] }),
  step('transform', 'sites', { reads: ['raw_sites'], writes: ['sites_dim'] }),
]);

const selected = (options: PlanOptions): string[] => createPlan(branches(), options).steps.map((s) => s.step.name);

// ---------------------------------------------------------------------------------------------

describe('buildDag edges', () => {
  it('a step reading dataset K depends on the step writing K', () => {
    const dag = dagOf([
      step('ingest', 'load', { writes: ['raw'] }),
      step('transform', 'clean', { reads: ['raw'], writes: ['clean'] }),
    ]);
    expect(dag.upstream.get('clean')).toEqual(['load']);
    expect(dag.downstream.get('load')).toEqual(['clean']);
    expect(dag.producers.get('clean')).toBe('clean');
    expect(dag.order).toEqual(['load', 'clean']);
  });

  it('depends_on adds an edge without a dataset', () => {
    const dag = dagOf([
      step('ingest', 'load_a', { writes: ['a'] }),
      step('ingest', 'load_b', { writes: ['b'], dependsOn: ['load_a'] }),
    ]);
    expect(dag.upstream.get('load_b')).toEqual(['load_a']);
  });

  it('params.connection adds an edge to the connect step', () => {
    const dag = dagOf([
      step('connect', 'warehouse'),
      step('ingest', 'load', { writes: ['raw'] }),
      step('store', 'save', { reads: ['raw'], connection: 'warehouse' }),
    ]);
    expect([...dag.upstream.get('save')!].sort()).toEqual(['load', 'warehouse']);
    expect(dag.downstream.get('warehouse')).toEqual(['save']);
  });

  it('the order is topological even when steps are declared out of order', () => {
    const dag = dagOf([
      step('store', 'save', { reads: ['clean'] }),
      step('transform', 'clean', { reads: ['raw'], writes: ['clean'] }),
      step('ingest', 'load', { writes: ['raw'] }),
    ]);
    expect(dag.order).toEqual(['load', 'clean', 'save']);
  });

  it('depends_on naming an unknown step is reported with a "did you mean" hint', () => {
    expect(graphProblems([
      step('ingest', 'load_readings', { writes: ['raw'] }),
      step('ingest', 'load_sites', { writes: ['sites'], dependsOn: ['load_reading'] }, 3),
    ])).toEqual([{
      step: 'load_sites',
      message: "depends_on names 'load_reading', which is not a step",
      hint: "did you mean 'load_readings'?",
      line: 3,
    }]);
  });

  it('params.connection naming a step that is not a connect step is reported', () => {
    const [p] = graphProblems([
      step('ingest', 'load', { writes: ['raw'] }),
      step('store', 'save', { reads: ['raw'], connection: 'load' }),
    ]);
    expect(p.step).toBe('save');
    expect(p.message).toBe("params.connection names 'load', which is a ingest step, not a connect step");
  });
});

describe('cycles', () => {
  it('a 2-cycle is shown as a path back to its start', () => {
    expect(graphProblems([
      step('transform', 'alpha', { reads: ['b'], writes: ['a'] }, 2),
      step('transform', 'beta', { reads: ['a'], writes: ['b'] }, 3),
    ])).toEqual([expect.objectContaining({ step: 'alpha', line: 2, message: 'dependency cycle: alpha → beta → alpha' })]);
  });

  it('a 3-cycle is shown as a path back to its start', () => {
    const problems = graphProblems([
      step('ingest', 'load', { writes: ['raw'] }),
      step('transform', 'alpha', { reads: ['raw', 'c'], writes: ['a'] }),
      step('transform', 'beta', { reads: ['a'], writes: ['b'] }),
      step('transform', 'gamma', { reads: ['b'], writes: ['c'] }),
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toBe('dependency cycle: alpha → beta → gamma → alpha');
    expect(problems[0].hint).toMatch(/break the cycle/);
  });

  it('a cycle through depends_on is found too', () => {
    const [p] = graphProblems([
      step('ingest', 'alpha', { writes: ['a'], dependsOn: ['beta'] }),
      step('ingest', 'beta', { writes: ['b'], dependsOn: ['alpha'] }),
    ]);
    expect(p.message).toBe('dependency cycle: alpha → beta → alpha');
  });
});

describe('createPlan levels', () => {
  it('a diamond runs in three levels', () => {
    const plan = createPlan(pipelineOf([
      step('ingest', 'load', { writes: ['raw'] }),
      step('transform', 'left', { reads: ['raw'], writes: ['l'] }),
      step('transform', 'right', { reads: ['raw'], writes: ['r'] }),
      step('transform', 'join', { reads: ['l', 'r'], writes: ['joined'] }),
    ]));
    expect(plan.levels).toEqual([['load'], ['left', 'right'], ['join']]);
    const join = plan.steps.find((s) => s.step.name === 'join')!;
    expect(join.level).toBe(2);
    expect([...join.upstream].sort()).toEqual(['left', 'right']);
    expect(plan.deselected).toEqual([]);
  });

  it('independent branches share levels', () => {
    expect(createPlan(branches()).levels).toEqual([
      ['load_readings', 'load_sites'],
      ['clean', 'sites'],
      ['save_clean'],
    ]);
  });

  it('a pipeline with a cycle cannot be planned', () => {
    expect(() => createPlan(pipelineOf([
      step('transform', 'alpha', { reads: ['b'], writes: ['a'] }),
      step('transform', 'beta', { reads: ['a'], writes: ['b'] }),
    ]))).toThrow(/alpha → beta → alpha/);
  });
});

describe('selection (--only / --skip)', () => {
  it('name selects just that step', () => {
    expect(selected({ only: ['load_sites'] })).toEqual(['load_sites']);
  });

  it('+name selects the step and everything upstream', () => {
    expect(selected({ only: ['+clean'] })).toEqual(['load_readings', 'clean']);
  });

  it('name+ selects the step and everything downstream', () => {
    expect(selected({ only: ['load_readings+'] })).toEqual(['load_readings', 'clean', 'save_clean']);
  });

  it('+name+ selects upstream and downstream', () => {
    expect(selected({ only: ['+clean+'] })).toEqual(['load_readings', 'clean', 'save_clean']);
  });

  it('layer:x selects every step of the layer', () => {
    expect(selected({ only: ['layer:ingest'] })).toEqual(['load_readings', 'load_sites']);
  });

  it('comma-separated items are combined', () => {
    expect(selected({ only: ['+clean,load_sites+'] }).sort()).toEqual(['clean', 'load_readings', 'load_sites', 'sites']);
    expect(selected({ only: ['+clean', 'load_sites+'] }).sort()).toEqual(['clean', 'load_readings', 'load_sites', 'sites']);
  });

  it('--skip name+ leaves out a step and its dependents', () => {
    const plan = createPlan(branches(), { skip: ['load_readings+'] });
    expect(plan.steps.map((s) => s.step.name)).toEqual(['load_sites', 'sites']);
    expect(plan.deselected).toEqual(['load_readings', 'clean', 'save_clean']);
  });

  it('an unknown step name is a SelectionError with a "did you mean" hint', () => {
    const err = selectionErrorOf(() => selected({ only: ['cleen'] }));
    expect(err.message).toContain("no step named 'cleen'");
    expect(err.hint).toBe("did you mean 'clean'?");
  });

  it('an unknown layer is a SelectionError listing the layers', () => {
    const err = selectionErrorOf(() => selected({ only: ['layer:silver'] }));
    expect(err.message).toContain("unknown layer 'silver'");
    expect(err.hint).toContain('ingest');
  });

  it('--skip of a step a selected step needs is a SelectionError naming both steps', () => {
    const err = selectionErrorOf(() => selected({ skip: ['load_readings'] }));
    expect(err.message).toContain("'clean' needs 'load_readings'");
    // The hint names steps of this pipeline, not an example from elsewhere.
    expect(err.hint).toBe('select upstream steps too with a leading +, e.g. --only +clean, or skip what depends on it as well, e.g. --skip load_readings+');
  });

  it('--only of a step without its upstream is a SelectionError naming both steps', () => {
    const err = selectionErrorOf(() => selected({ only: ['clean+'] }));
    expect(err.message).toContain("'clean' needs 'load_readings'");
  });
});
