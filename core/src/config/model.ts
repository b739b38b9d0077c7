/**
 * The validated pipeline model: what every loader (JSON, CSV, SQLite) produces and every later
 * stage (graph, plan, executor) consumes. Raw config never travels past `validate.ts`.
 */

export const LAYERS = ['connect', 'ingest', 'store', 'transform', 'publish'] as const;
export type Layer = (typeof LAYERS)[number];

export const STEP_TYPES = ['sql', 'function', 'config_op', 'api'] as const;
export type StepType = (typeof STEP_TYPES)[number];

/** `pandas` is how odibi_core v1 named its local engine; it runs on DuckDB here. */
export const ENGINE_ALIASES: Readonly<Record<string, 'duckdb'>> = { duckdb: 'duckdb', pandas: 'duckdb' };
export type EngineName = 'duckdb';

/** Where a step was declared, so errors can point at it. */
export interface StepOrigin {
  file: string;
  /** 1-based line in a JSON or CSV file. */
  line?: number;
  /** Row description for SQLite sources, e.g. "transformation_config row 3". */
  row?: string;
}

export interface StepConfig {
  readonly layer: Layer;
  readonly name: string;
  readonly type: StepType;
  readonly engine: EngineName;
  /** The engine name as written in the config (e.g. "pandas"), kept for display. */
  readonly declaredEngine: string;
  /** SQL text, a path, a URL or `module.ts#export`, with `${env:…}` and `${var:…}` already substituted. */
  readonly value: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** alias → dataset key */
  readonly inputs: Readonly<Record<string, string>>;
  /** alias → dataset key */
  readonly outputs: Readonly<Record<string, string>>;
  readonly dependsOn: readonly string[];
  readonly origin: StepOrigin;
}

export interface Pipeline {
  readonly name: string;
  /** Absolute path of the config file. */
  readonly file: string;
  /** Folder that relative paths in the config resolve against. */
  readonly baseDir: string;
  /** Enabled steps in declaration order. */
  readonly steps: readonly StepConfig[];
  /** Values substituted from `${env:...}`: redacted from every log, event and record. */
  readonly secrets: readonly string[];
  /** The profile it was loaded under (config/profiles.ts), and the variables its steps used. */
  readonly profile?: string;
  readonly vars?: Readonly<Record<string, string>>;
}

/** One step as a loader read it: field names already mapped to the JSON names, values untyped. */
export interface RawStep {
  fields: Record<string, unknown>;
  origin: StepOrigin;
}

export interface RawPipeline {
  name?: string;
  file: string;
  steps: RawStep[];
  /** A JSON config's `profiles` key (config/profiles.ts), as written, and its line. */
  profiles?: { value: unknown; line?: number };
}

export function defaultType(layer: Layer): StepType {
  return layer === 'transform' ? 'sql' : 'config_op';
}
