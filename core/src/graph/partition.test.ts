import { describe, expect, it } from 'vitest';
import type { Layer, Pipeline, StepConfig } from '../config/model.js';
import { stepConfig, type StepSpec } from '../testing/step-config.js';
import { partitionChain, partitionedIngests, splitFiles } from './partition.js';
import { createPlan, type PlanOptions } from './plan.js';

const step = (layer: Layer, name: string, spec: StepSpec = {}, type?: StepConfig['type']): StepConfig => ({ ...stepConfig(layer, name, spec), ...(type ? { type } : {}) });
const planOf = (steps: StepConfig[], options: PlanOptions = {}) => createPlan({ name: 't', file: '/p/pipeline.json', baseDir: '/p', steps, secrets: [] } satisfies Pipeline, options);
/** Stands in for DuckDB's plan: SQL with "sum(" is an aggregate. */
const rowWise = async (s: StepConfig) => (/sum\(/.test(s.value) ? 'UNGROUPED_AGGREGATE' : undefined);

describe('partitionChain', () => {
  const steps = [
    step('ingest', 'load', { writes: ['raw'], params: { partition: 'files', partition_size: 2 } }),
    step('transform', 'clean', { reads: ['raw'], writes: ['silver'], value: 'SELECT * FROM raw WHERE x > 0' }),
    step('transform', 'enrich', { reads: ['silver'], writes: ['gold_rows'], value: 'SELECT *, x * 2 AS y FROM silver' }),
    step('transform', 'total', { reads: ['gold_rows'], writes: ['total'], value: 'SELECT sum(y) FROM gold_rows' }),
    step('store', 'save', { reads: ['total'], value: 'out/total.csv' }),
  ];

  it('follows single-reader, row-wise SQL steps from the ingest, and stops at the first that is not', async () => {
    const plan = planOf(steps);
    expect(partitionedIngests(plan).map((s) => s.name)).toEqual(['load']);
    expect(await partitionChain(plan, plan.dag.steps.get('load')!, rowWise)).toEqual({ ingest: 'load', chain: ['clean', 'enrich'], size: 2, stop: 'total is not row by row (UNGROUPED_AGGREGATE)' });
  });

  it('stops at a dataset read twice, by a sink, by a step reading two datasets, or at the end of the selection', async () => {
    const twice = planOf([...steps, step('transform', 'peek', { reads: ['silver'], writes: ['peek'] })]);
    expect(await partitionChain(twice, twice.dag.steps.get('load')!, rowWise)).toMatchObject({ chain: ['clean'], stop: "clean's output is read by 2 steps" });
    const sink = planOf([steps[0], step('store', 'raw_copy', { reads: ['raw'], value: 'out/raw.csv' })]);
    expect(await partitionChain(sink, sink.dag.steps.get('load')!, rowWise)).toMatchObject({ chain: [], stop: 'raw_copy is a sink' });
    const join = planOf([steps[0], step('ingest', 'dim', { writes: ['dim'] }), step('transform', 'j', { inputs: { raw: 'raw', dim: 'dim' }, writes: ['j'] })]);
    expect(await partitionChain(join, join.dag.steps.get('load')!, rowWise)).toMatchObject({ chain: [], stop: 'j reads 2 datasets' });
    const only = planOf(steps, { only: ['load', 'clean'] });
    expect(await partitionChain(only, only.dag.steps.get('load')!, rowWise)).toMatchObject({ chain: ['clean'], stop: "no step of this run reads clean's output" });
  });

  it('splits files into parts of N, in order', () => {
    expect(splitFiles(['a', 'b', 'c', 'd', 'e'], 2)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(splitFiles(['a'], 1)).toEqual([['a']]);
  });
});
