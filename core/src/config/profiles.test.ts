import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadPipeline } from '../load/pipeline.js';

const dirs: string[] = [];
afterEach(async () => Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true }))));

const STEPS = [
  { layer: 'connect', name: 'wh', value: 'duckdb:dev.duckdb', params: { type: 'duckdb' } },
  { layer: 'ingest', name: 'load', value: '${var:root}/readings.csv', outputs: { data: 'raw' } },
  { layer: 'store', name: 'save', value: '${var:out:-out}/readings.parquet', inputs: { data: 'raw' } },
];

async function project(config: object, profiles?: object): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-profiles-'));
  dirs.push(dir);
  await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify(config, null, 2));
  if (profiles) await writeFile(path.join(dir, 'odibi.profiles.json'), JSON.stringify(profiles));
  return path.join(dir, 'pipeline.json');
}

const problemsOf = (p: Promise<unknown>) => p.then(() => [], (err: unknown) => (err instanceof ConfigError ? err.problems.map((x) => `${x.step ?? ''}: ${x.message}`) : [String(err)]));
const hintOf = (p: Promise<unknown>) => p.then(() => undefined, (err: unknown) => (err as ConfigError).problems[0]?.hint);
const valueOf = (steps: readonly { name: string; value: string }[], name: string) => steps.find((s) => s.name === name)?.value;

describe('variables and profiles', () => {
  const profiles = {
    dev: { vars: { root: 'data/sample' } },
    prod: { vars: { root: '/mnt/lake', out: '/mnt/gold' }, connections: { wh: { value: 'duckdb:${env:ODIBI_TEST_WH}', params: { read_only: true } } } },
  };

  it('substitutes the dev profile by default, a chosen one, and --var over both; records the profile and the variables used', async () => {
    const file = await project({ name: 'p', steps: STEPS }, profiles);
    const dev = (await loadPipeline(file, { env: {} })).pipeline;
    expect(valueOf(dev.steps, 'load')).toBe('data/sample/readings.csv');
    expect(valueOf(dev.steps, 'save')).toBe('out/readings.parquet');
    expect(dev.profile).toBe('dev');
    expect(dev.vars).toEqual({ root: 'data/sample', out: 'out' });
    const prod = (await loadPipeline(file, { profile: 'prod', env: { ODIBI_TEST_WH: 'secret.duckdb' } })).pipeline;
    expect(valueOf(prod.steps, 'load')).toBe('/mnt/lake/readings.csv');
    expect(valueOf(prod.steps, 'save')).toBe('/mnt/gold/readings.parquet');
    // The connection's settings come from the profile, its secret from the environment (redacted like any).
    const wh = prod.steps.find((s) => s.name === 'wh')!;
    expect([wh.value, wh.params]).toEqual(['duckdb:secret.duckdb', { type: 'duckdb', read_only: true }]);
    expect(prod.secrets).toContain('secret.duckdb');
    const over = (await loadPipeline(file, { profile: 'prod', vars: { root: 'elsewhere' }, env: { ODIBI_TEST_WH: 'x', ODIBI_PROFILE: 'dev' } })).pipeline;
    expect(valueOf(over.steps, 'load')).toBe('elsewhere/readings.csv');
    // ODIBI_PROFILE chooses when --profile does not.
    expect((await loadPipeline(file, { env: { ODIBI_PROFILE: 'prod', ODIBI_TEST_WH: 'x' } })).pipeline.profile).toBe('prod');
  });

  it('names the step of a variable that is not set, and says how to set it', async () => {
    const file = await project({ name: 'p', steps: STEPS });
    const problems = await problemsOf(loadPipeline(file, { env: {} }));
    expect(problems).toEqual(['load: variable \'root\' is not set (referenced as ${var:root})']);
    expect(await hintOf(loadPipeline(file, { env: {} }))).toMatch(/^pass --var root=…, set it in profile 'dev' \(odibi.profiles.json\), or give it a default/);
  });

  it('refuses a profile that is not defined, with the ones that are', async () => {
    const file = await project({ name: 'p', steps: STEPS }, profiles);
    expect(await problemsOf(loadPipeline(file, { profile: 'prd', env: {} }))).toEqual([": profile 'prd' is not defined in odibi.profiles.json"]);
    expect(await hintOf(loadPipeline(file, { profile: 'prd', env: {} }))).toBe("did you mean 'prod'? profiles: dev, prod");
    // dev, the default, may be missing even when named (workers are told the coordinator's profile).
    const noDev = await project({ name: 'p', steps: STEPS.slice(0, 1) }, { prod: { vars: {} } });
    expect((await loadPipeline(noDev, { profile: 'dev', env: {} })).pipeline.profile).toBe('dev');
    const none = await project({ name: 'p', steps: STEPS });
    await expect(loadPipeline(none, { profile: 'prod', env: {} })).rejects.toThrow(/there is no odibi.profiles.json/);
  });

  it(`reads profiles from the config's own "profiles" key, and checks their shape and connection names`, async () => {
    const inline = await project({ name: 'p', profiles: { dev: { vars: { root: 'inline' } } }, steps: STEPS });
    expect(valueOf((await loadPipeline(inline, { env: {} })).pipeline.steps, 'load')).toBe('inline/readings.csv');
    const bad = await project({ name: 'p', steps: STEPS }, { dev: { vars: { root: 'x' }, connection: {} } });
    await expect(loadPipeline(bad, { env: {} })).rejects.toThrow(/odibi.profiles.json: dev: Unrecognized key/);
    const typo = await project({ name: 'p', steps: STEPS }, { dev: { vars: { root: 'x' }, connections: { whh: { value: 'duckdb:x' } } } });
    expect(await problemsOf(loadPipeline(typo, { env: {} }))).toEqual([": profile 'dev' sets connection 'whh', but no connect step is named so"]);
  });
});
