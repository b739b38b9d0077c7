/**
 * Raw steps → the validated `Pipeline`'s steps. Collects every problem with a step (shape, names,
 * params, keys), each naming the step and where it was declared.
 */
import path from 'node:path';
import * as z from 'zod';
import { parseStreamSpec } from './stream-spec.js';
import type { ConfigProblem } from '../errors.js';
import { closest, suggest } from '../shared/suggest.js';
import { substitute } from './env.js';
import type { ConnectionSettings } from './profiles.js';
import { checkInputs, parseChecks } from './checks.js';
import { checkParams } from './params.js';
import {
  ENGINE_ALIASES, LAYERS, STEP_TYPES, defaultType,
  type Layer, type Pipeline, type RawPipeline, type RawStep, type StepConfig, type StepType,
} from './model.js';

const keyMap = z.union([z.record(z.string(), z.string()), z.array(z.string())]);
const stepShape = z.object({
  layer: z.string({ error: 'missing required field "layer"' }),
  name: z.string({ error: 'missing required field "name"' }).trim().min(1, 'field "name" is empty'),
  type: z.string().optional(),
  engine: z.string().optional(),
  value: z.union([z.string(), z.number()]).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  inputs: keyMap.optional(),
  outputs: keyMap.optional(),
  enabled: z.union([z.boolean(), z.number(), z.string()]).optional(),
  depends_on: z.union([z.array(z.string()), z.string()]).optional(),
  description: z.string().optional(),
});
const KNOWN_FIELDS = new Set([...Object.keys(stepShape.shape), 'project', 'execution_order']);

/** Layers whose `value` is required, and what it should hold (for the hint). */
const VALUE_NEEDED: Partial<Record<Layer, string>> = {
  connect: 'a DuckDB/SQLite file path or a postgres:// URL',
  ingest: 'a file path, a URL, or SQL (with type "sql")',
  store: 'an output path, or a table name when params.connection is set',
  transform: 'SQL, or "module.ts#exportName" for type "function"',
};
const TYPES_BY_LAYER: Record<Layer, readonly StepType[]> = {
  connect: ['config_op'],
  ingest: ['config_op', 'sql', 'api', 'function'],
  store: ['config_op', 'sql'],
  transform: ['sql', 'function'],
  publish: ['config_op', 'api', 'sql'],
};

export interface ValidateOptions {
  env?: NodeJS.ProcessEnv;
  /** Values of `${var:…}` (the profile's, then --vars, then --var). */
  vars?: Readonly<Record<string, string>>;
  /** The profile's settings for connect steps, by step name. */
  connections?: Readonly<Record<string, ConnectionSettings>>;
  /** The profile's name, for messages and the run record. */
  profile?: string;
}

export interface ValidatedPipeline {
  pipeline: Pipeline;
  warnings: ConfigProblem[];
}

/**
 * The steps' own problems (shape, names, params, keys), without throwing, and the pipeline of
 * the steps that passed. The graph (dangling inputs, cycles) is checked a layer up
 * (`load/pipeline.ts`), with `rejectedOutputs`: keys of rejected steps, whose readers are not
 * told a second time that nothing produces them.
 */
export function validateSteps(raw: RawPipeline, options: ValidateOptions = {}): ValidatedPipeline & { problems: ConfigProblem[]; rejectedOutputs: ReadonlySet<string>; disabled: readonly StepConfig[] } {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const enabled: StepConfig[] = [];
  const disabled: StepConfig[] = [];
  for (const name of Object.keys(options.connections ?? {})) {
    const connects = raw.steps.filter((s) => s.fields.layer === 'connect' && typeof s.fields.name === 'string').map((s) => s.fields.name as string);
    if (!connects.includes(name)) {
      const near = closest(name, connects);
      problems.push({ message: `profile '${options.profile ?? ''}' sets connection '${name}', but no connect step is named so`, file: raw.file, hint: near ? `did you mean '${near}'?` : `connect steps: ${connects.join(', ') || '(none)'}` });
    }
  }
  // Keys declared by steps rejected for their own problems: their readers must not also be told
  // that "no step produces" them.
  const rejectedOutputs = new Set<string>();
  const secrets: string[] = [];
  const used: Record<string, string> = {};

  if (raw.steps.length === 0) {
    problems.push({ message: 'the pipeline has no steps', file: raw.file, hint: 'declare at least one step (or check --project)' });
  }

  raw.steps.forEach((rawStep, index) => {
    const step = toStep(withConnection(rawStep, options.connections), index, problems, warnings, secrets, used, options);
    if (!step) {
      const outs = rawStep.fields.outputs;
      if (outs && typeof outs === 'object') for (const k of Object.values(outs)) if (typeof k === 'string') rejectedOutputs.add(k);
      return;
    }
    if (step.enabled) enabled.push(step.config);
    else disabled.push(step.config);
  });

  const seenNames = new Map<string, StepConfig>();
  for (const s of [...enabled, ...disabled]) {
    const prior = seenNames.get(s.name);
    if (prior) problems.push({ message: `duplicate step name '${s.name}' (also declared at ${where(prior)})`, step: s.name, file: s.origin.file, line: s.origin.line, row: s.origin.row, hint: 'step names must be unique; rename one of them' });
    else seenNames.set(s.name, s);
  }
  const seenKeys = new Map<string, string>();
  for (const s of enabled) {
    for (const key of Object.values(s.outputs)) {
      const prior = seenKeys.get(key);
      if (prior !== undefined && prior !== s.name) problems.push({ message: `duplicate output key '${key}' (also written by step '${prior}')`, step: s.name, file: s.origin.file, line: s.origin.line, row: s.origin.row, hint: 'each dataset key is produced by exactly one step; rename one output' });
      else seenKeys.set(key, s.name);
    }
  }

  // A relationships check reads another dataset: the step runs after the step that makes it.
  const producerOf = new Map(enabled.flatMap((s) => Object.values(s.outputs).map((k) => [k, s.name] as const)));
  enabled.forEach((s, i) => {
    const extra: string[] = [];
    for (const key of checkInputs(s)) {
      const producer = producerOf.get(key);
      if (producer === undefined) {
        problems.push({ message: `a relationships check reads dataset '${key}', which no step produces`, step: s.name, file: s.origin.file, line: s.origin.line, row: s.origin.row, hint: suggest(key, [...producerOf.keys()], 'check "to"') || 'check "to": it names a dataset key' });
      } else if (producer !== s.name && !s.dependsOn.includes(producer) && !Object.values(s.inputs).includes(key)) extra.push(producer);
    }
    if (extra.length) enabled[i] = { ...s, dependsOn: [...s.dependsOn, ...new Set(extra)] };
  });
  const unique = [...new Map(enabled.map((s) => [s.name, s])).values()];
  const file = path.resolve(raw.file);
  return {
    pipeline: {
      name: raw.name ?? path.basename(file).replace(/\.[^.]+$/, ''),
      file,
      baseDir: path.dirname(file),
      steps: problems.length ? unique : enabled,
      secrets,
      ...(options.profile ? { profile: options.profile } : {}),
      ...(Object.keys(used).length ? { vars: used } : {}),
    },
    warnings,
    problems,
    rejectedOutputs,
    disabled,
  };
}

function where(s: StepConfig): string {
  return s.origin.line !== undefined ? `line ${s.origin.line}` : (s.origin.row ?? s.origin.file);
}

/** A connect step with its profile's settings: the value replaced, params merged over its own. */
function withConnection(raw: RawStep, connections: ValidateOptions['connections']): RawStep {
  const name = raw.fields.name;
  const set = raw.fields.layer === 'connect' && typeof name === 'string' ? connections?.[name] : undefined;
  if (!set) return raw;
  const params = raw.fields.params && typeof raw.fields.params === 'object' ? raw.fields.params as Record<string, unknown> : {};
  return { ...raw, fields: { ...raw.fields, ...(set.value !== undefined ? { value: set.value } : {}), ...(set.params ? { params: { ...params, ...set.params } } : {}) } };
}

function toStep(
  raw: RawStep, index: number, problems: ConfigProblem[], warnings: ConfigProblem[], secrets: string[], used: Record<string, string>, options: ValidateOptions,
): { config: StepConfig; enabled: boolean } | undefined {
  const loc = { file: raw.origin.file, line: raw.origin.line, row: raw.origin.row };
  const label = typeof raw.fields.name === 'string' && raw.fields.name ? raw.fields.name : undefined;
  const push = (message: string, hint?: string) => problems.push({ message, step: label, ...loc, hint: hint ?? undefined, ...(label ? {} : { message: `step #${index + 1}: ${message}` }) });

  if ('__notAnObject' in raw.fields) {
    push(`expected a step object, got ${JSON.stringify(raw.fields.__notAnObject)}`, 'each step is an object like {"layer": "ingest", "name": "...", "value": "..."}');
    return undefined;
  }
  const parsed = stepShape.safeParse(raw.fields);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path.join('.');
      const msg = issue.message.startsWith('missing') || issue.message.startsWith('field') ? issue.message : `field "${field}": ${issue.message}`;
      push(msg, fieldHint(field));
    }
    return undefined;
  }
  const f = parsed.data;
  let ok = true;
  // A field one typo away from a known one (`input` for `inputs`) is a mistake, not an extra.
  for (const key of Object.keys(raw.fields)) {
    if (KNOWN_FIELDS.has(key)) continue;
    const near = closest(key, [...KNOWN_FIELDS]);
    if (near) {
      push(`unknown field "${key}"`, `did you mean "${near}"?`);
      ok = false;
    } else {
      warnings.push({ message: `unknown field "${key}" is ignored`, step: label, ...loc, hint: `known fields: ${[...KNOWN_FIELDS].join(', ')}` });
    }
  }

  const layer = f.layer.trim().toLowerCase();
  if (!(LAYERS as readonly string[]).includes(layer)) {
    push(`unknown layer '${f.layer}'`, `${suggest(layer, [...LAYERS], '')} use one of ${LAYERS.join(', ')}`.trim());
    ok = false;
  }
  const type = (f.type?.trim().toLowerCase() || (ok ? defaultType(layer as Layer) : 'sql'));
  if (!(STEP_TYPES as readonly string[]).includes(type)) {
    push(`unknown type '${f.type}'`, `${suggest(type, [...STEP_TYPES], '')} use one of ${STEP_TYPES.join(', ')}`.trim());
    ok = false;
  } else if (ok && !TYPES_BY_LAYER[layer as Layer].includes(type as StepType)) {
    push(`type '${type}' is not supported for layer '${layer}'`, `${layer} steps take type ${TYPES_BY_LAYER[layer as Layer].join(' or ')}`);
    ok = false;
  }
  const declaredEngine = f.engine?.trim().toLowerCase() || 'duckdb';
  const engine = ENGINE_ALIASES[declaredEngine];
  if (!engine) {
    push(`unknown engine '${f.engine}'`, `use "duckdb" (the default; "pandas" is accepted as its alias for odibi_core v1 configs)`);
    ok = false;
  }

  const refs = { env: options.env, vars: options.vars };
  const p = substitute(f.params ?? {}, refs);
  const v = substitute(f.value === undefined ? '' : String(f.value), refs);
  const params = p.value;
  const value = v.value;
  // A switched-off step needs no secrets or variables.
  for (const name of isEnabled(f.enabled) ? new Set([...p.missing, ...v.missing]) : []) {
    push(`environment variable ${name} is not set (referenced as \${env:${name}})`, `export ${name}=... before running, or remove the reference`);
    ok = false;
  }
  for (const name of isEnabled(f.enabled) ? new Set([...p.missingVars, ...v.missingVars]) : []) {
    push(`variable '${name}' is not set (referenced as \${var:${name}})`, options.profile === 'notebook'
      ? `set it first: %set ${name} <value> (or give it a default: \${var:${name}:-…})`
      : `pass --var ${name}=…, set it in profile '${options.profile ?? 'dev'}' (odibi.profiles.json), or give it a default: \${var:${name}:-…}`);
    ok = false;
  }
  secrets.push(...p.secrets, ...v.secrets);
  if (isEnabled(f.enabled)) Object.assign(used, p.used, v.used);

  // An event stream's data arrives by POST, so it has no source to name.
  const eventStream = (params.stream as { mode?: unknown } | undefined)?.mode === 'event';
  if (ok && VALUE_NEEDED[layer as Layer] && value.trim() === '' && !eventStream) {
    push('missing required field "value"', `a ${layer} step's value is ${VALUE_NEEDED[layer as Layer]}`);
    ok = false;
  }
  if (ok && layer === 'publish' && value.trim() === '' && typeof params.url !== 'string') {
    push('a publish step needs a value (output file) or params.url (HTTP endpoint)', 'set "value": "out/report.json" or "params": {"url": "https://..."}');
    ok = false;
  }
  if (ok && type === 'function' && !/#[A-Za-z_$][\w$]*$/.test(value)) {
    push(`function value '${value}' must look like "module.ts#exportName"`, 'name the module (relative to the config file) and the exported function after #');
    ok = false;
  }
  for (const problem of parseChecks(params.checks).problems) {
    push(problem, 'a check is {"type": "not_null", "columns": ["id"]}; see the README\'s "Data checks"');
    ok = false;
  }
  if (ok && layer === 'ingest' && params.on_bad_rows !== undefined && params.schema === undefined) {
    push('params.on_bad_rows needs params.schema: the types a row must fit', 'add "schema": {"column": "TYPE", …} (DuckDB types: BIGINT, DOUBLE, VARCHAR, TIMESTAMP…)');
    ok = false;
  }
  const outputAliases = f.outputs && !Array.isArray(f.outputs) ? Object.keys(f.outputs) : [];
  if (ok && layer === 'ingest' && params.on_bad_rows === 'quarantine' && !outputAliases.includes('rejects')) {
    push('params.on_bad_rows "quarantine" puts bad rows in the output alias "rejects", which this step does not have', 'add it: "outputs": {"data": "…", "rejects": "<dataset key>"}');
    ok = false;
  }
  if (ok) {
    const checked = checkParams(layer as Layer, type as StepType, params);
    for (const p of checked.problems) push(p.message, p.hint);
    for (const w of checked.warnings) warnings.push({ message: w.message, step: label, ...loc, hint: w.hint });
    if (checked.problems.length) ok = false;
  }
  if (ok && params.stream !== undefined) {
    for (const p of parseStreamSpec({ layer: layer as Layer, params }).problems) {
      push(p.message, p.hint);
      ok = false;
    }
  }
  if (ok && (layer === 'ingest' || layer === 'transform') && Object.keys(keyMapOf(f.outputs)).length === 0) {
    push(`a ${layer} step needs at least one output`, 'add "outputs": {"data": "my_dataset"}');
    ok = false;
  }
  if (ok && (layer === 'store' || layer === 'publish') && Object.keys(keyMapOf(f.inputs)).length === 0) {
    push(`a ${layer} step needs an input`, 'add "inputs": {"data": "my_dataset"}');
    ok = false;
  }
  if (!ok) return undefined;

  const config: StepConfig = {
    layer: layer as Layer,
    name: f.name,
    type: type as StepType,
    engine: engine!,
    declaredEngine,
    value,
    params,
    metadata: f.metadata ?? {},
    inputs: keyMapOf(f.inputs),
    outputs: keyMapOf(f.outputs),
    dependsOn: typeof f.depends_on === 'string' ? [f.depends_on] : (f.depends_on ?? []),
    origin: raw.origin,
  };
  return { config, enabled: isEnabled(f.enabled) };
}

function keyMapOf(v: Record<string, string> | string[] | undefined): Record<string, string> {
  if (!v) return {};
  if (Array.isArray(v)) return Object.fromEntries(v.map((k) => [k, k]));
  return v;
}

function isEnabled(v: boolean | number | string | undefined): boolean {
  if (v === undefined) return true;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  return !['0', 'false', 'no', ''].includes(v.trim().toLowerCase());
}

function fieldHint(field: string): string | undefined {
  switch (field) {
    case 'inputs':
    case 'outputs':
      return 'write an object mapping alias → dataset key, e.g. {"data": "bronze_readings"}';
    case 'params':
    case 'metadata':
      return 'write a JSON object';
    case 'depends_on':
      return 'write a list of step names';
    default:
      return undefined;
  }
}
