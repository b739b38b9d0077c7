/** Test-only: a StepConfig with sensible defaults, for unit tests that build pipelines in code. */
import type { Layer, StepConfig } from '../config/model.js';

export interface StepSpec {
  inputs?: Record<string, string>;
  outputs?: Record<string, string>;
  /** Shorthand for inputs/outputs whose alias is the key. */
  reads?: string[];
  writes?: string[];
  dependsOn?: string[];
  params?: Record<string, unknown>;
  connection?: string;
  value?: string;
  file?: string;
  line?: number;
}

export function stepConfig(layer: Layer, name: string, spec: StepSpec = {}): StepConfig {
  const same = (keys: string[] | undefined) => Object.fromEntries((keys ?? []).map((k) => [k, k]));
  return {
    layer,
    name,
    type: layer === 'transform' ? 'sql' : 'config_op',
    engine: 'duckdb',
    declaredEngine: 'duckdb',
    value: spec.value ?? (layer === 'transform' ? 'SELECT 1' : `${name}.csv`),
    params: { ...spec.params, ...(spec.connection ? { connection: spec.connection } : {}) },
    metadata: {},
    inputs: { ...same(spec.reads), ...spec.inputs },
    outputs: { ...same(spec.writes), ...spec.outputs },
    dependsOn: spec.dependsOn ?? [],
    origin: { file: spec.file ?? 'pipeline.json', line: spec.line },
  };
}
