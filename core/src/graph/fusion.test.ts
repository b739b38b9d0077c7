import { describe, expect, it } from 'vitest';
import type { Layer, Pipeline, StepConfig } from '../config/model.js';
import { stepConfig, type StepSpec } from '../testing/step-config.js';
import { MAX_INLINE_DEPTH, planFusion } from './fusion.js';
import { createPlan, type PlanOptions } from './plan.js';

const step = (layer: Layer, name: string, spec: StepSpec = {}, type?: StepConfig['type']): StepConfig => ({ ...stepConfig(layer, name, spec), ...(type ? { type } : {}) });
const pipelineOf = (steps: StepConfig[]): Pipeline => ({ name: 't', file: '/p/pipeline.json', baseDir: '/p', steps, secrets: [] });
const fusionOf = (steps: StepConfig[], plan: PlanOptions = {}, options: Parameters<typeof planFusion>[1] = {}) => planFusion(createPlan(pipelineOf(steps), plan), options);
const storage = (f: ReturnType<typeof fusionOf>) => Object.fromEntries(f.datasets.map((d) => [d.key, d.storage === 'view' ? `view in ${f.inlined.get(d.key)!.consumer}` : d.reason]));

describe('planFusion', () => {
  it('fuses a file read and a chain of SQL steps that one SQL step each reads; keeps the rest as tables', () => {
    const f = fusionOf([
      step('ingest', 'load', { writes: ['raw'] }),
      step('transform', 'clean', { reads: ['raw'], writes: ['silver'] }),
      step('transform', 'daily', { reads: ['silver'], writes: ['daily'] }),
      step('transform', 'weekly', { reads: ['daily'], writes: ['weekly'] }),
      step('transform', 'monthly', { reads: ['daily'], writes: ['monthly'] }),
      step('store', 'save', { reads: ['weekly'], value: 'out/w.parquet' }),
    ]);
    expect(storage(f)).toEqual({
      raw: 'view in clean',
      silver: 'view in daily',
      daily: 'read by 2 steps',
      weekly: 'read by save, a sink, which needs a table',
      monthly: 'no step of this run reads it: kept as a result',
    });
  });

  it('keeps tables for function steps, connections, URLs, a dataset read twice by one step, and a producer with its own retries or time limit', () => {
    const f = fusionOf([
      step('connect', 'pg', { value: 'postgres://x' }),
      step('ingest', 'api', { writes: ['a'], value: 'https://example.com/a.csv' }),
      step('ingest', 'db', { writes: ['b'], value: 'SELECT 1', connection: 'pg', dependsOn: ['pg'] }, 'sql'),
      step('ingest', 'file', { writes: ['c'] }),
      step('ingest', 'kept', { writes: ['k'], params: { retries: 2 } }),
      step('transform', 'fn', { reads: ['c'], writes: ['d'], value: 'm.ts#f' }, 'function'),
      step('transform', 'j', { inputs: { x: 'a', y: 'b', d1: 'd', d2: 'd', k: 'k' }, writes: ['e'] }),
      step('transform', 'remote', { reads: ['e'], writes: ['g'], connection: 'pg', dependsOn: ['pg'] }),
    ]);
    expect(storage(f)).toMatchObject({
      a: 'made by a connection, an API or a download, not a query DuckDB can inline',
      b: 'made by a connection, an API or a download, not a query DuckDB can inline',
      c: 'read by fn, a function step, which needs a table',
      d: 'made by a function step',
      k: 'kept sets its own retries, which only a step of its own keeps',
      e: 'read by remote, a step on another connection, which needs a table',
    });
    expect(f.inlined.size).toBe(0);
  });

  it('keeps a table for a dataset a relationships check reads, and for a checked step\'s output', () => {
    const f = fusionOf([
      step('ingest', 'devices', { writes: ['devices'] }),
      step('ingest', 'load', { writes: ['raw'] }),
      step('transform', 'clean', { reads: ['raw'], writes: ['silver'], params: { checks: [{ type: 'relationships', column: 'device_id', to: 'devices', field: 'device_id' }] } }),
      step('transform', 'gold', { reads: ['silver'], writes: ['gold'] }),
    ]);
    expect(storage(f)).toMatchObject({ devices: 'a data check of clean reads it', raw: 'view in clean', silver: 'clean has data checks, which read it' });
  });

  it('cuts a long chain into tables every few views, so queries stay small', () => {
    const steps = [step('ingest', 's0', { writes: ['d0'] })];
    for (let i = 1; i <= 20; i++) steps.push(step('transform', `s${i}`, { reads: [`d${i - 1}`], writes: [`d${i}`] }));
    steps.push(step('store', 'save', { reads: ['d20'], value: 'out.csv' }));
    const f = fusionOf(steps);
    const tables = f.datasets.filter((d) => d.storage === 'table').map((d) => d.key);
    expect(tables).toEqual([`d${MAX_INLINE_DEPTH}`, `d${2 * MAX_INLINE_DEPTH + 1}`, 'd20']);
    expect(f.datasets.find((d) => d.key === `d${MAX_INLINE_DEPTH}`)!.reason).toMatch(/views in a row/);
  });

  it('counts only readers that run: a dataset whose reader is not selected stays a table', () => {
    const steps = [
      step('ingest', 'load', { writes: ['raw'] }),
      step('transform', 'clean', { reads: ['raw'], writes: ['silver'] }),
    ];
    expect(storage(fusionOf(steps))).toMatchObject({ raw: 'view in clean' });
    expect(storage(fusionOf(steps, { only: ['load'] }))).toEqual({ raw: 'no step of this run reads it: kept as a result' });
  });

  it('fuses nothing when turned off, and says why', () => {
    const f = fusionOf([step('ingest', 'load', { writes: ['raw'] }), step('transform', 'clean', { reads: ['raw'], writes: ['s'] })], {}, { enabled: false, disabledBecause: 'fusion is off: --no-fuse' });
    expect(f.inlined.size).toBe(0);
    expect(f.datasets.map((d) => d.reason)).toEqual(['fusion is off: --no-fuse', 'fusion is off: --no-fuse']);
  });
});
