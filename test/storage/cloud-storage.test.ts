/**
 * `s3://` and `az://` paths against real servers on 127.0.0.1: Ceph's radosgw (S3) and Azurite
 * (Azure Blob). Every check runs on both stores through the `odibi` CLI, and reads back what it
 * wrote through each cloud's own SDK, never through ODIBI.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite } from '../helpers/azurite.js';
import { CLI, events, odibi } from '../helpers/cli.js';
import { startCountingProxy, type CountingProxy } from '../helpers/counting-proxy.js';
import { query } from '../helpers/duckdb.js';
import { copyExample, tempDir, writePipeline } from '../helpers/project.js';
import { BACKENDS, download, type Backend } from '../helpers/store-backends.js';

/** The IoT example's config with every data path moved to the store under `prefix`. */
function onStore(config: { steps: Record<string, any>[] }, b: Backend, prefix: string) {
  return {
    ...config,
    steps: config.steps.map((s) => (['ingest', 'store', 'publish'].includes(s.layer) && typeof s.value === 'string' && /^(data|out)\//.test(s.value)
      ? { ...s, value: b.uri(`${prefix}/${s.value}`) }
      : s)),
  };
}

/** Rows of a file, sorted, as JSON text: what "the same output" means. */
async function rowsOf(file: string): Promise<string> {
  const reader = file.endsWith('.json') ? 'read_json' : 'read_parquet';
  return JSON.stringify(await query(`SELECT * FROM ${reader}('${file}') ORDER BY ALL`));
}

describe.each(BACKENDS)('cloud storage on %s', (_label, start) => {
  let b: Backend;
  beforeAll(async () => {
    b = await start();
  }, 180_000);
  afterAll(async () => {
    await b?.stop();
  });

  it('runs the IoT example with inputs and outputs on the store and gives the same gold as the local run', async () => {
    const dir = await copyExample();
    const local = await odibi(['run', 'pipeline.json'], { cwd: dir });
    expect(local.code, local.stderr).toBe(0);
    for (const f of ['readings.csv', 'devices.csv']) await b.put(`iot/data/${f}`, await readFile(path.join(dir, 'data', f)));
    const config = JSON.parse(await readFile(path.join(dir, 'pipeline.json'), 'utf8'));
    await writeFile(path.join(dir, 'cloud.json'), JSON.stringify(onStore(config, b, 'iot'), null, 2));

    const check = await odibi(['validate', 'cloud.json'], { cwd: dir, env: b.env() });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const run = await odibi(['run', 'cloud.json'], { cwd: dir, env: b.env() });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(b.uri('iot/out/gold/device_health.parquet'));

    const back = await tempDir();
    for (const out of ['out/gold/device_health.parquet', 'out/reports/site_summary.json', 'out/silver/readings.parquet']) {
      const cloud = await download(b, `iot/${out}`, back);
      expect(await rowsOf(cloud), out).toBe(await rowsOf(path.join(dir, out)));
    }
    // Nothing but the outputs: every staging object was published or removed.
    expect((await b.keys('iot/out/')).filter((k) => k.includes('odibi-tmp'))).toEqual([]);
  }, 180_000);

  it('reaches the store through a connect step whose secrets come from ${env:…}, and never records them', async () => {
    const dir = await tempDir();
    await b.put('conn/in/a.csv', 'id,name\n1,ada\n2,grace\n');
    await b.put('conn/in/b.csv', 'id,name\n3,edsger\n');
    const cfg = await writePipeline(dir, [
      { layer: 'connect', name: 'lake', value: b.uri('conn'), params: b.connect.params },
      { layer: 'ingest', name: 'people', value: 'in/*.csv', params: { connection: 'lake' }, outputs: { data: 'people' }, depends_on: ['lake'] },
      { layer: 'transform', name: 'shout', value: 'SELECT id, upper(name) AS name FROM people', inputs: { people: 'people' }, outputs: { data: 'loud' } },
      { layer: 'store', name: 'save', value: 'out/loud.parquet', params: { connection: 'lake' }, inputs: { data: 'loud' } },
      { layer: 'publish', name: 'parts', value: 'out/parts', params: { connection: 'lake', mode: 'append' }, inputs: { data: 'loud' } },
    ]);
    // No AWS_* or AZURE_* variables: only the connect step reaches the store.
    const clean = Object.fromEntries(Object.keys(process.env).filter((k) => /^(AWS_|AZURE_)/.test(k)).map((k) => [k, '']));
    const run = await odibi(['run', cfg, '--json'], { cwd: dir, env: { ...clean, ...b.connect.env } });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const back = await tempDir();
    expect(JSON.parse(await rowsOf(await download(b, 'conn/out/loud.parquet', back)))).toEqual([{ id: 1, name: 'ADA' }, { id: 2, name: 'GRACE' }, { id: 3, name: 'EDSGER' }]);
    expect((await b.keys('conn/out/parts/')).filter((k) => k.endsWith('.parquet'))).toHaveLength(1);
    const [recordFile] = await readdir(path.join(dir, '.odibi/runs'));
    const record = await readFile(path.join(dir, '.odibi/runs', recordFile), 'utf8');
    expect(record).not.toContain(b.connect.secret);
    expect(run.stdout).not.toContain(b.connect.secret);
  }, 120_000);

  it('keeps Hive partition folders: a glob over year=…/ keys gets the year column', async () => {
    const dir = await tempDir();
    await b.put('hive/year=2023/a.csv', 'n\n1\n2\n');
    await b.put('hive/year=2024/a.csv', 'n\n3\n');
    await b.put('hive/year=2024/', '');
    const cfg = await writePipeline(dir, [
      { layer: 'ingest', name: 'events', value: b.uri('hive/**/*.csv'), params: { options: { hive_partitioning: true } }, outputs: { data: 'e' } },
      { layer: 'transform', name: 'by_year', value: 'SELECT year::INT AS year, sum(n)::INT AS n FROM e GROUP BY ALL ORDER BY year', inputs: { e: 'e' }, outputs: { data: 'y' } },
    ]);
    const r = await odibi(['run', cfg, '--json'], { cwd: dir, env: b.env() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(events(r.stdout).find((e) => e.type === 'step_success' && e.step === 'by_year')?.outputs?.[0]?.sample).toEqual([{ year: 2023, n: 3 }, { year: 2024, n: 3 }]);
  }, 60_000);

  it('reads an unchanged object from the cache: a second run makes no GET', async () => {
    const dir = await tempDir();
    await b.put('cache/numbers.csv', `n\n${Array.from({ length: 1000 }, (_, i) => i).join('\n')}\n`);
    const proxy: CountingProxy = await startCountingProxy(b.endpoint);
    try {
      const cfg = await writePipeline(dir, [
        { layer: 'ingest', name: 'numbers', value: b.uri('cache/numbers.csv'), outputs: { data: 'n' } },
        { layer: 'transform', name: 'total', value: 'SELECT sum(n) AS s FROM n', inputs: { n: 'n' }, outputs: { data: 't' } },
      ]);
      const env = b.env(proxy.endpoint);
      const first = await odibi(['run', cfg], { cwd: dir, env });
      expect(first.code, first.stdout + first.stderr).toBe(0);
      expect(proxy.count('GET', 'cache/numbers.csv')).toBe(1);
      proxy.reset();
      const second = await odibi(['run', cfg], { cwd: dir, env });
      expect(second.code, second.stderr).toBe(0);
      expect(proxy.count('GET', 'cache/numbers.csv')).toBe(0);
      expect(proxy.count('HEAD', 'cache/numbers.csv')).toBeGreaterThan(0);
      // A changed object is fetched again, once.
      await b.put('cache/numbers.csv', 'n\n5\n');
      proxy.reset();
      const third = await odibi(['run', cfg, '--json'], { cwd: dir, env });
      expect(third.code, third.stderr).toBe(0);
      expect(proxy.count('GET', 'cache/numbers.csv')).toBe(1);
      const total = events(third.stdout).find((e) => e.type === 'step_success' && e.step === 'total');
      expect(Number(total?.outputs?.[0]?.sample?.[0]?.s)).toBe(5);
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it('leaves every target unchanged when runs writing to the store are SIGKILLed, and the next run sweeps their staging objects', async () => {
    const dir = await tempDir();
    const cfg = await writePipeline(dir, [
      { layer: 'ingest', name: 'readings', type: 'sql', value: 'SELECT range AS id, range % 97 AS sensor, random() AS v FROM range(300000)', outputs: { data: 'r' } },
      { layer: 'store', name: 'save_all', value: b.uri('kill/readings.parquet'), inputs: { data: 'r' } },
      { layer: 'store', name: 'append_parts', value: b.uri('kill/parts'), params: { mode: 'append' }, inputs: { data: 'r' } },
      { layer: 'publish', name: 'export_csv', value: b.uri('kill/readings.csv'), inputs: { data: 'r' } },
      // Keeps the run alive after its writes are staged and before they commit.
      { layer: 'transform', name: 'crunch', value: 'SELECT count(*) AS c FROM range(20000) a, range(20000) b, (SELECT 1 FROM r LIMIT 1) one WHERE (a.range * b.range) % 7 = 3', inputs: { r: 'r' }, outputs: { data: 'c' }, depends_on: ['save_all', 'append_parts', 'export_csv'] },
    ]);
    const env = b.env();
    const first = await odibi(['run', cfg], { cwd: dir, env });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const targets = async () => ({
      parquet: await b.etag('kill/readings.parquet'),
      csv: await b.etag('kill/readings.csv'),
      parts: (await b.keys('kill/parts/')).filter((k) => k.endsWith('.parquet')),
    });
    const before = await targets();
    expect(before.parts).toHaveLength(1);

    for (let i = 0; i < 3; i++) {
      const child = spawn(process.execPath, [CLI, 'run', cfg], { cwd: dir, env: { ...process.env, ...env }, stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      const deadline = Date.now() + 60_000;
      // Killed once it has staged all three outputs on the store (their keys carry its pid).
      while (Date.now() < deadline && child.exitCode === null && (await b.keys('kill/')).filter((k) => k.includes(`.${child.pid}.`)).length < 3) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect((await b.keys('kill/')).filter((k) => k.includes(`.${child.pid}.`))).toHaveLength(3);
      child.kill('SIGKILL');
      await exited;
      expect(await targets()).toEqual(before);
    }
    // Each run swept what the run killed before it had left; the last one's three are still there.
    expect((await b.keys('kill/')).filter((k) => k.endsWith('.odibi-tmp'))).toHaveLength(3);

    const next = await odibi(['run', cfg, '--json'], { cwd: dir, env });
    expect(next.code, next.stderr).toBe(0);
    expect((await b.keys('kill/')).filter((k) => k.endsWith('.odibi-tmp'))).toEqual([]);
    expect(events(next.stdout).find((e) => e.type === 'run_log')?.message).toMatch(/removed 3 staging files left by runs that were killed/);
    const after = await targets();
    expect(after.parts).toHaveLength(2);
    expect(after.parquet).not.toBe(before.parquet);
  }, 240_000);

  it('uploads a 200 MB file in parts and streams it back: reading it adds far less memory than its size', async () => {
    const dir = await tempDir();
    const big = path.join(dir, 'big.csv');
    await query(`COPY (SELECT range AS id, md5(range::VARCHAR) AS h FROM range(5200000)) TO '${big}' (HEADER)`);
    expect((await stat(big)).size).toBeGreaterThan(200 * 1024 * 1024);
    const up = await writePipeline(dir, [
      { layer: 'ingest', name: 'local', value: 'big.csv', outputs: { data: 'big' } },
      { layer: 'publish', name: 'upload', value: b.uri('big/big.csv'), inputs: { data: 'big' } },
    ], 'upload.json');
    const uploaded = await odibi(['run', up], { cwd: dir, env: b.env() });
    expect(uploaded.code, uploaded.stdout + uploaded.stderr).toBe(0);

    // Peak RSS of `odibi validate` (which fetches the object to sniff it) against the same check
    // of the local file: the difference is what reading the object cost in memory.
    const peak = async (value: string, cwd: string) => {
      const cfg = await writePipeline(cwd, [{ layer: 'ingest', name: 'read_big', value, outputs: { data: 'big' } }], `peak-${value.length}.json`);
      const hook = path.join(cwd, 'peak-rss.cjs');
      await writeFile(hook, "process.on('exit', () => require('fs').writeSync(2, `\\nPEAK_RSS_KIB ${process.resourceUsage().maxRSS}\\n`));\n");
      const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--require', hook, CLI, 'validate', cfg], { cwd, env: { ...process.env, ...b.env() }, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
      });
      expect(r.code, r.stderr).toBe(0);
      return Number(/PEAK_RSS_KIB (\d+)/.exec(r.stderr)?.[1]) / 1024;
    };
    const local = await peak('big.csv', dir);
    const remote = await peak(b.uri('big/big.csv'), dir);
    // Measured: +40-65 MiB, of which ~25 MiB is loading the cloud SDK itself; a whole object in memory would be +200.
    expect(remote - local, `peak RSS ${remote.toFixed(0)} MiB reading the object, ${local.toFixed(0)} MiB reading the local file`).toBeLessThan(100);
    // And it is all there: the copy in the cache is the file that was uploaded.
    const counted = await odibi(['run', await writePipeline(dir, [
      { layer: 'ingest', name: 'read_big', value: b.uri('big/big.csv'), outputs: { data: 'big' } },
      { layer: 'transform', name: 'n', value: 'SELECT count(*) AS n, count(DISTINCT h) AS d FROM big', inputs: { big: 'big' }, outputs: { data: 'n' } },
    ], 'count.json'), '--json'], { cwd: dir, env: b.env() });
    expect(counted.code, counted.stderr).toBe(0);
    const sample = events(counted.stdout).find((e) => e.type === 'step_success' && e.step === 'n')?.outputs?.[0]?.sample?.[0];
    expect([Number(sample?.n), Number(sample?.d)]).toEqual([5_200_000, 5_200_000]);
  }, 300_000);

  it('names the step, the URI and the fix for a missing bucket, denied credentials and a wrong endpoint', async () => {
    const dir = await tempDir();
    await b.put('errors/x.csv', 'a\n1\n');
    const cfg = (uri: string) => writePipeline(dir, [{ layer: 'ingest', name: 'read_x', value: uri, outputs: { data: 'x' } }]);

    const noBucket = await odibi(['validate', await cfg(b.name === 's3' ? 's3://no-such-bucket/x.csv' : 'az://no-such-container/x.csv')], { cwd: dir, env: b.env() });
    expect(noBucket.code).toBe(2);
    expect(noBucket.stderr).toMatch(/step 'read_x'/);
    expect(noBucket.stderr).toMatch(/no-such-(bucket|container)\/x\.csv: (bucket|container) 'no-such-(bucket|container)' does not exist/);
    expect(noBucket.stderr).toMatch(/hint: create the (bucket|container)/);

    // An output whose bucket is missing fails the check too, before any step runs.
    const noOutBucket = await odibi(['validate', await writePipeline(dir, [
      { layer: 'ingest', name: 'numbers', type: 'sql', value: 'SELECT 1 AS n', outputs: { data: 'n' } },
      { layer: 'store', name: 'save_n', value: b.name === 's3' ? 's3://no-such-bucket/out/n.parquet' : 'az://no-such-container/out/n.parquet', inputs: { data: 'n' } },
    ])], { cwd: dir, env: b.env() });
    expect(noOutBucket.code).toBe(2);
    expect(noOutBucket.stderr).toMatch(/step 'save_n'.*does not exist/);

    const missing = await odibi(['run', await cfg(b.uri('errors/nope.csv'))], { cwd: dir, env: b.env() });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr + missing.stdout).toMatch(/object not found: .*errors\/nope\.csv/);

    const denied = await odibi(['validate', await cfg(b.uri('errors/x.csv'))], { cwd: dir, env: b.badKeyEnv });
    expect(denied.code).toBe(2);
    expect(denied.stderr).toMatch(/step 'read_x'/);
    expect(denied.stderr).toMatch(/access denied/);
    expect(denied.stderr).toMatch(/hint: check the credentials/);

    const unreachable = await odibi(['validate', await cfg(b.uri('errors/x.csv'))], { cwd: dir, env: b.env(b.name === 's3' ? 'http://127.0.0.1:9' : 'http://127.0.0.1:9/devstoreaccount1') });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/step 'read_x'/);
    expect(unreachable.stderr).toMatch(/hint: cannot reach the (S3|blob) endpoint/);
  }, 120_000);
});

describe('abfss:// paths (Azurite)', () => {
  it('reads and writes abfss://container@account.dfs.core.windows.net/… with the account\'s connection string', async () => {
    const server = await startAzurite();
    try {
      const container = BlobServiceClient.fromConnectionString(server.connectionString).getContainerClient('adls');
      await container.create();
      await container.getBlockBlobClient('raw/a.csv').upload('id\n1\n2\n', 7);
      const dir = await tempDir();
      const uri = (key: string) => `abfss://adls@${server.account}.dfs.core.windows.net/${key}`;
      const cfg = await writePipeline(dir, [
        { layer: 'ingest', name: 'read_a', value: uri('raw/a.csv'), outputs: { data: 'a' } },
        { layer: 'store', name: 'save_a', value: uri('out/a.parquet'), inputs: { data: 'a' } },
      ]);
      const r = await odibi(['run', cfg], { cwd: dir, env: { AZURE_STORAGE_CONNECTION_STRING: server.connectionString } });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const file = path.join(dir, 'a.parquet');
      await writeFile(file, await container.getBlobClient('out/a.parquet').downloadToBuffer());
      expect(await query(`SELECT id FROM read_parquet('${file}') ORDER BY id`)).toEqual([{ id: 1 }, { id: 2 }]);
    } finally {
      await server.stop();
    }
  }, 60_000);
});

describe('odibi_core v1 Azure connect step (Azurite)', () => {
  it('runs unchanged: type azure_blob, account_name, account_key, container', async () => {
    const server = await startAzurite();
    try {
      const container = BlobServiceClient.fromConnectionString(server.connectionString).getContainerClient('v1data');
      await container.create();
      await container.getBlockBlobClient('in/sales.csv').upload('id,amount\n1,10\n2,32\n', 22);
      const dir = await tempDir();
      const cfg = await writePipeline(dir, [
        { layer: 'connect', name: 'azure_blob', value: 'azure_blob', params: { type: 'azure_blob', account_name: server.account, account_key: '${env:V1_ACCOUNT_KEY}', container: 'v1data', endpoint: server.blobEndpoint } },
        { layer: 'ingest', name: 'sales', value: 'in/sales.csv', params: { connection: 'azure_blob' }, outputs: { data: 'sales' }, depends_on: ['azure_blob'] },
        { layer: 'store', name: 'save', value: 'out/total.json', params: { connection: 'azure_blob', format: 'json' }, inputs: { data: 'sales' } },
      ]);
      const env = { V1_ACCOUNT_KEY: server.accountKey, AZURE_STORAGE_CONNECTION_STRING: '' };
      const check = await odibi(['validate', cfg], { cwd: dir, env });
      expect(check.code, check.stdout + check.stderr).toBe(0);
      expect(check.stdout + check.stderr).not.toMatch(/unknown param/);
      const r = await odibi(['run', cfg], { cwd: dir, env });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const rows = JSON.parse((await container.getBlobClient('out/total.json').downloadToBuffer()).toString('utf8'));
      expect(rows.map((x: { amount: number }) => Number(x.amount))).toEqual([10, 32]);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
