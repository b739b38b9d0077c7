import { describe, expect, it } from 'vitest';
import type { Pipeline, StepConfig } from '../config/model.js';
import { objectUriOf } from './locate.js';

const step = (fields: Partial<StepConfig>): StepConfig => ({
  layer: 'ingest', name: 's', type: 'config_op', engine: 'duckdb', declaredEngine: 'duckdb', value: '', params: {}, metadata: {},
  inputs: {}, outputs: {}, dependsOn: [], origin: { file: 'p.json' }, ...fields,
});
const lake = step({ layer: 'connect', name: 'lake', value: 's3://analytics/iot/' });
const v1 = step({ layer: 'connect', name: 'blob', value: 'azure_blob', params: { type: 'azure_blob', container: 'raw' } });
const pipeline = { name: 'p', file: 'p.json', baseDir: '/tmp', steps: [lake, v1], secrets: [] } as Pipeline;

describe('where a step path is on an object store', () => {
  it('reads a key under a connection as below its URI, and a bare URI as itself', () => {
    expect(objectUriOf(pipeline, step({ value: 'raw/a.csv', params: { connection: 'lake' } }))).toBe('s3://analytics/iot/raw/a.csv');
    expect(objectUriOf(pipeline, step({ value: 'in/a.csv', params: { connection: 'blob' } }))).toBe('az://raw/in/a.csv');
    expect(objectUriOf(pipeline, step({ value: 's3://other/a.csv' }))).toBe('s3://other/a.csv');
    expect(objectUriOf(pipeline, step({ value: 'data/a.csv' }))).toBeUndefined();
  });

  it("never sends a connection's credentials to a URI outside it", () => {
    expect(objectUriOf(pipeline, step({ value: 's3://analytics/iot/x.csv', params: { connection: 'lake' } }))).toBe('s3://analytics/iot/x.csv');
    expect(() => objectUriOf(pipeline, step({ value: 's3://analytics/iotx/x.csv', params: { connection: 'lake' } }))).toThrow(/is not under connection 'lake'/);
    let hint: string | undefined;
    try {
      objectUriOf(pipeline, step({ value: 's3://elsewhere/x.csv', params: { connection: 'lake' } }));
    } catch (err) {
      hint = (err as { hint?: string }).hint;
    }
    expect(hint).toMatch(/drop params.connection or add a connect step/);
  });
});
