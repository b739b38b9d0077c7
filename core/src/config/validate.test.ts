import { describe, it, expect } from 'vitest';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { Redactor } from './env.js';
import { loadPipeline } from '../load/pipeline.js';
import { parseJsonPipeline } from './parse-json.js';
import type { ValidatedPipeline } from './validate.js';
import { validatePipeline } from '../load/pipeline.js';

// ---------------------------------------------------------------------------------------------
// Helpers. Configs are written one step per line, so step number i (1-based) is on line i + 1.
// ---------------------------------------------------------------------------------------------

type Step = Record<string, unknown>;

const FILE = 'pipeline.json';

function jsonConfig(steps: Step[]): string {
  return `[\n${steps.map((s) => `  ${JSON.stringify(s)}`).join(',\n')}\n]\n`;
}

/** Line of the n-th step (1-based) in a file written by `jsonConfig`. */
const lineOfStep = (n: number): number => n + 1;

const ingest = (name: string, key: string, extra: Step = {}): Step =>
  ({ layer: 'ingest', name, value: `data/${name}.csv`, outputs: { data: key }, ...extra });
const transform = (name: string, from: string, key: string, extra: Step = {}): Step =>
  ({ layer: 'transform', name, value: 'SELECT * FROM data', inputs: { data: from }, outputs: { data: key }, ...extra });
const store = (name: string, from: string, extra: Step = {}): Step =>
  ({ layer: 'store', name, value: `out/${name}.parquet`, inputs: { data: from }, ...extra });

function validate(steps: Step[], env: NodeJS.ProcessEnv = {}): ValidatedPipeline {
  return validatePipeline(parseJsonPipeline(jsonConfig(steps), FILE), { env });
}

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, but the config was accepted');
}

/** The problems reported for a config that should be rejected. */
function problemsOf(steps: Step[], env: NodeJS.ProcessEnv = {}): ConfigProblem[] {
  return configErrorOf(() => validate(steps, env)).problems;
}

/** The single problem reported for a config that has exactly one thing wrong. */
function onlyProblem(steps: Step[], env: NodeJS.ProcessEnv = {}): ConfigProblem {
  const problems = problemsOf(steps, env);
  expect(problems.map((p) => p.message)).toHaveLength(1);
  return problems[0];
}

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'odibi-validate-'));
}

// ---------------------------------------------------------------------------------------------

describe('a valid pipeline', () => {
  it('is accepted with its steps in declaration order', () => {
    const { pipeline, warnings } = validate([
      ingest('load_readings', 'raw_readings'),
      transform('clean', 'raw_readings', 'clean_readings'),
      store('save', 'clean_readings'),
    ]);
    expect(pipeline.steps.map((s) => s.name)).toEqual(['load_readings', 'clean', 'save']);
    expect(warnings).toEqual([]);
  });

  it('accepts the {"name", "steps"} form and takes the pipeline name from it', () => {
    const text = JSON.stringify({ name: 'iot_daily', steps: [ingest('load', 'raw')] });
    const { pipeline } = validatePipeline(parseJsonPipeline(text, FILE));
    expect(pipeline.name).toBe('iot_daily');
    expect(pipeline.steps.map((s) => s.name)).toEqual(['load']);
  });

  it('applies defaults: type sql for transform, config_op otherwise; engine duckdb; enabled', () => {
    const { pipeline } = validate([
      { layer: 'connect', name: 'warehouse', value: 'warehouse.duckdb' },
      ingest('load', 'raw'),
      transform('clean', 'raw', 'clean'),
      store('save', 'clean'),
      { layer: 'publish', name: 'report', value: 'out/report.json', inputs: { data: 'clean' } },
    ]);
    const byName = Object.fromEntries(pipeline.steps.map((s) => [s.name, s]));
    expect(byName.warehouse.type).toBe('config_op');
    expect(byName.load.type).toBe('config_op');
    expect(byName.clean.type).toBe('sql');
    expect(byName.save.type).toBe('config_op');
    expect(byName.report.type).toBe('config_op');
    for (const s of pipeline.steps) {
      expect(s.engine).toBe('duckdb');
      expect(s.declaredEngine).toBe('duckdb');
      expect(s.params).toEqual({});
      expect(s.metadata).toEqual({});
    }
    expect(pipeline.steps).toHaveLength(5); // all enabled by default
  });

  it('accepts engine "pandas" as an alias of duckdb and keeps the declared name', () => {
    const { pipeline } = validate([ingest('load', 'raw', { engine: 'pandas' })]);
    expect(pipeline.steps[0].engine).toBe('duckdb');
    expect(pipeline.steps[0].declaredEngine).toBe('pandas');
  });

  it('accepts the array form of inputs and outputs (["key"] means {"key": "key"})', () => {
    const { pipeline } = validate([
      { layer: 'ingest', name: 'load', value: 'data/r.csv', outputs: ['raw_readings'] },
      { layer: 'transform', name: 'clean', value: 'SELECT * FROM raw_readings', inputs: ['raw_readings'], outputs: { data: 'clean' } },
    ]);
    const clean = pipeline.steps.find((s) => s.name === 'clean')!;
    expect(clean.inputs).toEqual({ raw_readings: 'raw_readings' });
    expect(pipeline.steps[0].outputs).toEqual({ raw_readings: 'raw_readings' });
  });
});

describe('validation errors name the step and its line', () => {
  it('duplicate step names', () => {
    const p = onlyProblem([ingest('load', 'raw_a'), ingest('load', 'raw_b')]);
    expect(p.message).toContain("duplicate step name 'load'");
    expect(p.message).toContain(`line ${lineOfStep(1)}`); // where the first one is
    expect(p).toMatchObject({ step: 'load', file: FILE, line: lineOfStep(2) });
    expect(p.hint).toMatch(/unique/);
  });

  it('duplicate output keys', () => {
    const p = onlyProblem([ingest('load_a', 'raw'), ingest('load_b', 'raw')]);
    expect(p.message).toContain("duplicate output key 'raw'");
    expect(p.message).toContain("'load_a'");
    expect(p).toMatchObject({ step: 'load_b', file: FILE, line: lineOfStep(2) });
  });

  it('an input that no step produces', () => {
    const p = onlyProblem([ingest('load', 'raw_readings'), transform('clean', 'raw_readngs', 'clean')]);
    expect(p.message).toContain("reads dataset 'raw_readngs', which no step produces");
    expect(p).toMatchObject({ step: 'clean', file: FILE, line: lineOfStep(2) });
    expect(p.hint).toContain('raw_readings'); // lists the datasets that do exist
  });

  it('a dependency cycle, shown as a path', () => {
    const p = onlyProblem([
      transform('alpha', 'b_out', 'a_out'),
      transform('beta', 'a_out', 'b_out'),
    ]);
    expect(p.message).toContain('alpha → beta → alpha');
    expect(p).toMatchObject({ step: 'alpha', file: FILE, line: lineOfStep(1) });
  });

  it('an unknown layer', () => {
    const p = onlyProblem([ingest('load', 'raw', { layer: 'ingset' })]);
    expect(p.message).toContain("unknown layer 'ingset'");
    expect(p).toMatchObject({ step: 'load', file: FILE, line: lineOfStep(1) });
    expect(p.hint).toContain('connect, ingest, store, transform, publish');
  });

  it('an unknown type', () => {
    const p = onlyProblem([ingest('load', 'raw'), transform('clean', 'raw', 'clean', { type: 'python' })]);
    expect(p.message).toContain("unknown type 'python'");
    expect(p).toMatchObject({ step: 'clean', file: FILE, line: lineOfStep(2) });
  });

  it('a type the layer does not support', () => {
    const p = onlyProblem([{ layer: 'connect', name: 'warehouse', value: 'w.duckdb', type: 'sql' }]);
    expect(p.message).toContain("type 'sql' is not supported for layer 'connect'");
    expect(p).toMatchObject({ step: 'warehouse', line: lineOfStep(1) });
  });

  it('an unknown engine (only duckdb and its alias pandas are accepted)', () => {
    const p = onlyProblem([ingest('load', 'raw', { engine: 'spark' })]);
    expect(p.message).toContain("unknown engine 'spark'");
    expect(p).toMatchObject({ step: 'load', file: FILE, line: lineOfStep(1) });
    expect(p.hint).toContain('duckdb');
  });

  it('a missing "layer"', () => {
    const p = onlyProblem([ingest('load', 'raw'), { name: 'clean', value: 'SELECT 1', outputs: { data: 'x' } }]);
    expect(p.message).toContain('missing required field "layer"');
    expect(p).toMatchObject({ step: 'clean', file: FILE, line: lineOfStep(2) });
  });

  it('a missing "name": the step is identified by its position and line', () => {
    const p = onlyProblem([ingest('load', 'raw'), { layer: 'store', value: 'out/x.parquet', inputs: { data: 'raw' } }]);
    expect(p.message).toBe('step #2: missing required field "name"');
    expect(p).toMatchObject({ file: FILE, line: lineOfStep(2) });
  });

  it('a missing "value"', () => {
    const p = onlyProblem([{ layer: 'ingest', name: 'load', outputs: { data: 'raw' } }]);
    expect(p.message).toContain('missing required field "value"');
    expect(p).toMatchObject({ step: 'load', file: FILE, line: lineOfStep(1) });
    expect(p.hint).toContain('file path');
  });

  it('a field of the wrong shape (params must be an object)', () => {
    const p = onlyProblem([ingest('load', 'raw', { params: 'header=true' })]);
    expect(p.message).toContain('params');
    expect(p).toMatchObject({ step: 'load', line: lineOfStep(1) });
  });

  it('malformed JSON, with line and column', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'broken.json');
    const badLine = '  {"layer": "ingest", "name": "load" "value": "x.csv"}'; // missing comma before "value"
    await writeFile(file, `[\n${badLine}\n]\n`);
    const column = badLine.indexOf('"value"') + 1;
    const err = await loadPipeline(file).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const [p] = (err as ConfigError).problems;
    expect(p.message).toContain('malformed JSON');
    expect(p).toMatchObject({ file, line: 2, column });
    expect((err as ConfigError).describe()).toContain(`${file}:2:${column}`);
  });

  it('a step that is not an object', () => {
    const p = onlyProblem([ingest('load', 'raw'), 'clean' as unknown as Step]);
    expect(p.message).toContain('step #2');
    expect(p.message).toContain('expected a step object');
    expect(p.line).toBe(lineOfStep(2));
  });
});

describe('all problems are reported at once', () => {
  it('reports 4 different problems in one ConfigError, each naming its step', () => {
    const err = configErrorOf(() => validate([
      ingest('load', 'raw'),
      ingest('load', 'raw_2'), // duplicate name
      transform('clean', 'raw', 'clean', { engine: 'spark' }), // unknown engine
      transform('enrich', 'sites', 'enriched'), // input nobody produces
      store('save', 'raw', { layer: 'stroe' }), // unknown layer
    ]));
    const byStep = Object.fromEntries(err.problems.map((p) => [p.step, p]));
    expect(err.problems).toHaveLength(4);
    expect(byStep.load.message).toContain("duplicate step name 'load'");
    expect(byStep.load.line).toBe(lineOfStep(2));
    expect(byStep.clean.message).toContain("unknown engine 'spark'");
    expect(byStep.clean.line).toBe(lineOfStep(3));
    expect(byStep.enrich.message).toContain("'sites', which no step produces");
    expect(byStep.enrich.line).toBe(lineOfStep(4));
    expect(byStep.save.message).toContain("unknown layer 'stroe'");
    expect(byStep.save.line).toBe(lineOfStep(5));

    const text = err.describe();
    expect(text).toMatch(/^4 problems in pipeline\.json:/);
    expect(text).toContain(`pipeline.json:${lineOfStep(3)}: step 'clean': unknown engine 'spark'`);
    expect(text).toContain(`pipeline.json:${lineOfStep(5)}: step 'save': unknown layer 'stroe'`);
  });

  it('a step rejected for its own problem does not make its consumers report a missing producer', () => {
    // 'load' does declare the output 'raw'; saying "no step produces 'raw'" about 'clean' would be
    // wrong and would send the user looking for the wrong fix.
    const problems = problemsOf([
      ingest('load', 'raw', { engine: 'spark' }),
      transform('clean', 'raw', 'clean'),
    ]);
    expect(problems.map((p) => `${p.step}: ${p.message}`)).toEqual(["load: unknown engine 'spark'"]);
  });
});

describe('disabled steps', () => {
  it.each([false, 0, 'false', 'no'])('enabled: %j drops the step', (enabled) => {
    const { pipeline } = validate([ingest('load', 'raw'), ingest('legacy', 'old', { enabled })]);
    expect(pipeline.steps.map((s) => s.name)).toEqual(['load']);
  });

  it('a consumer of a disabled step\'s output gets an error naming the disabled step', () => {
    const p = onlyProblem([
      ingest('load_readings', 'raw_readings', { enabled: false }),
      transform('clean', 'raw_readings', 'clean'),
    ]);
    expect(p.message).toContain("'raw_readings'");
    expect(p.message).toContain("step 'load_readings' which is disabled");
    expect(p).toMatchObject({ step: 'clean', file: FILE, line: lineOfStep(2) });
    expect(p.hint).toContain("enable 'load_readings'");
  });

  it('duplicate names are reported among disabled steps too', () => {
    const p = onlyProblem([
      ingest('load', 'raw'),
      ingest('legacy', 'old_a', { enabled: false }),
      ingest('legacy', 'old_b', { enabled: false }),
    ]);
    expect(p.message).toContain("duplicate step name 'legacy'");
    expect(p).toMatchObject({ step: 'legacy', line: lineOfStep(3) });
  });

  it('depends_on naming a disabled step says so', () => {
    const p = onlyProblem([
      ingest('load', 'raw', { enabled: false }),
      ingest('other', 'raw_2', { depends_on: ['load'] }),
    ]);
    expect(p.message).toContain("depends_on names 'load', which is not a step (it is disabled)");
    expect(p).toMatchObject({ step: 'other', line: lineOfStep(2) });
  });
});

describe('${env:NAME} in params', () => {
  it('is substituted from options.env and the values are collected as secrets', () => {
    const { pipeline } = validate(
      [ingest('load', 'raw', { type: 'api', params: { url: 'https://odibi:${env:DB_PASSWORD}@api.example/iot', headers: { token: '${env:API_TOKEN}' } } })],
      { DB_PASSWORD: 'hunter2', API_TOKEN: 'tok-123' },
    );
    const step = pipeline.steps[0];
    expect(step.params).toEqual({ url: 'https://odibi:hunter2@api.example/iot', headers: { token: 'tok-123' } });
    expect(pipeline.secrets).toEqual(expect.arrayContaining(['hunter2', 'tok-123']));

    const redactor = new Redactor(pipeline.secrets);
    expect(redactor.redact(`connecting to ${String(step.params.url)}`)).toBe('connecting to https://odibi:***@api.example/iot');
  });

  it('a variable that is not set is an error naming the variable, the step and the line', () => {
    const p = onlyProblem(
      [ingest('load', 'raw'), ingest('load_db', 'db_raw', { params: { password: '${env:DB_PASSWORD}' } })],
      { OTHER: 'x' },
    );
    expect(p.message).toContain('environment variable DB_PASSWORD is not set');
    expect(p.message).toContain('${env:DB_PASSWORD}');
    expect(p).toMatchObject({ step: 'load_db', file: FILE, line: lineOfStep(2) });
    expect(p.hint).toContain('export DB_PASSWORD=');
  });
});

describe('disabled steps and the environment', () => {
  it('a disabled step may reference variables that are not set', () => {
    const { pipeline } = validate([ingest('load', 'raw'), ingest('legacy', 'old', { enabled: false, params: { password: '${env:NOT_SET}' } })], {});
    expect(pipeline.steps.map((s) => s.name)).toEqual(['load']);
  });
});

describe('file location', () => {
  it('baseDir is the folder of the config file, not the working directory', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'pipelines'));
    const file = path.join(dir, 'pipelines', 'iot.json');
    await writeFile(file, jsonConfig([ingest('load', 'raw', { value: 'data/readings.csv' })]));

    // Given as a path relative to the working directory, as a user would type it.
    const { pipeline } = await loadPipeline(path.relative(process.cwd(), file));
    expect(pipeline.baseDir).toBe(path.join(dir, 'pipelines'));
    expect(pipeline.baseDir).not.toBe(process.cwd());
    expect(pipeline.file).toBe(file);
    expect(pipeline.name).toBe('iot');
    expect(path.resolve(pipeline.baseDir, pipeline.steps[0].value)).toBe(path.join(dir, 'pipelines', 'data', 'readings.csv'));
  });
});

describe('params and fields, checked per kind of step', () => {
  it('refuses a format or mode outside its set, with a did-you-mean and the step\'s line', () => {
    const problems = problemsOf([ingest('load', 'raw', { params: { format: 'parket' } }), store('save', 'raw', { params: { mode: 'apend' } })]);
    expect(problems).toEqual([
      expect.objectContaining({ step: 'load', line: lineOfStep(1), message: 'params.format "parket" is not one of csv, tsv, parquet, json, ndjson, jsonl; did you mean \'parquet\'?' }),
      expect.objectContaining({ step: 'save', line: lineOfStep(2), message: 'params.mode "apend" is not one of overwrite, append; did you mean \'append\'?' }),
    ]);
  });

  it('makes a field or param one typo from a known one an error, and other unknown ones warnings', () => {
    expect(onlyProblem([ingest('load', 'raw'), transform('t', 'raw', 'x', { inputs: undefined, input: { raw: 'raw' } })])).toMatchObject({ step: 't', message: 'unknown field "input"', hint: 'did you mean "inputs"?' });
    expect(onlyProblem([ingest('load', 'raw', { params: { fromat: 'csv' } })])).toMatchObject({ message: "unknown param 'fromat'", hint: "did you mean 'format'?" });
    const { warnings } = validate([ingest('load', 'raw', { params: { owner: 'iot', header: true } }), transform('t', 'raw', 'x', { params: { anything: 1 }, type: 'function', value: 'f.ts#g' })]);
    expect(warnings.map((w) => w.message)).toEqual(["unknown param 'owner' is ignored", "param 'header' is a reader option and is ignored here"]);
    expect(warnings[1].hint).toBe('put reader options in params.options, e.g. {"options": {"header": true}}');
  });

  it('knows the params of an object-store connect step (S3, Azure, and v1\'s azure_blob)', () => {
    // Accepted (validate throws on a problem), and nothing reported as an unknown param.
    const { warnings } = validate([
      { layer: 'connect', name: 'lake', value: 's3://b', params: { endpoint: 'http://127.0.0.1:9000', access_key_id: 'k', secret_access_key: 's', region: 'eu-west-1', force_path_style: true } },
      { layer: 'connect', name: 'blob', value: 'azure_blob', params: { type: 'azure_blob', account_name: 'acct', account_key: 'x', container: 'raw', connection_string: 'c', sas_token: 't' } },
      ingest('load', 'raw', { params: { connection: 'lake' } }),
    ]);
    expect(warnings).toEqual([]);
    expect(problemsOf([{ layer: 'connect', name: 'lake', value: 's3://b', params: { force_path_style: 'yes' } }]).map((p) => p.message)).toEqual(['params.force_path_style must be true or false']);
  });

  it('checks the types of the params every step takes', () => {
    expect(problemsOf([ingest('load', 'raw', { params: { retries: -1, timeout_ms: 'soon', options: [1] } })]).map((p) => p.message)).toEqual([
      'params.retries must be a number, 0 or more', 'params.timeout_ms must be a number above 0', 'params.options must be a JSON object',
    ]);
  });
});
