/**
 * Connections and sinks against real servers and files: PostgreSQL (a real server on 127.0.0.1),
 * SQLite and DuckDB files, and HTTP endpoints, with `${env:...}` secrets kept out of every output.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { odibi } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { startHttpServer, type TestServer } from '../helpers/http.js';
import { startPostgres, type PgServer } from '../helpers/postgres.js';
import { tempDir, writePipeline } from '../helpers/project.js';

describe('PostgreSQL connection', () => {
  let server: PgServer;
  beforeAll(async () => {
    server = await startPostgres();
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await client.query(`CREATE TABLE sensors (id bigint, name text, reading double precision, taken date, at timestamp, ok boolean)`);
    await client.query(`INSERT INTO sensors VALUES (1, 'a', 1.5, '2025-01-02', '2025-01-02 03:04:05', true), (2, 'b', NULL, NULL, NULL, false), (3, 'c', 3.25, '2025-03-04', '2025-03-04 00:00:00', NULL)`);
    await client.end();
  }, 60_000);
  afterAll(() => server?.stop());

  it('ingests a query result and stores a table back, in the same run', async () => {
    const dir = await tempDir();
    const cfg = await writePipeline(dir, [
      { layer: 'connect', name: 'warehouse', value: '${env:PG_URL}' },
      { layer: 'ingest', name: 'read_sensors', type: 'sql', value: 'SELECT * FROM sensors ORDER BY id', params: { connection: 'warehouse' }, outputs: { data: 'sensors' } },
      { layer: 'transform', name: 'doubled', value: 'SELECT id, name, reading * 2 AS reading2, taken, \"at\", ok FROM s', inputs: { s: 'sensors' }, outputs: { data: 'doubled' } },
      { layer: 'store', name: 'write_back', value: 'sensors_doubled', params: { connection: 'warehouse' }, inputs: { data: 'doubled' } },
      { layer: 'store', name: 'to_file', value: 'out/sensors.parquet', inputs: { data: 'sensors' } },
    ]);
    const r = await odibi(['run', cfg, '--json'], { env: { PG_URL: server.url } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // The connection URL came from the environment, so it is a secret: never printed.
    expect(r.stdout).not.toContain(server.url);

    const rows = await query(`SELECT * FROM read_parquet('${dir}/out/sensors.parquet') ORDER BY id`);
    expect(rows[0]).toMatchObject({ id: 1, name: 'a', reading: 1.5, ok: true });
    expect((rows[0].taken as Date).toISOString()).toBe('2025-01-02T00:00:00.000Z');
    expect((rows[0].at as Date).toISOString()).toBe('2025-01-02T03:04:05.000Z');
    expect(rows[1]).toMatchObject({ id: 2, reading: null, taken: null, ok: false });

    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      const back = await client.query('SELECT id, name, reading2 FROM sensors_doubled ORDER BY id');
      expect(back.rows).toEqual([{ id: '1', name: 'a', reading2: 3 }, { id: '2', name: 'b', reading2: null }, { id: '3', name: 'c', reading2: 6.5 }]);
    } finally {
      await client.end();
    }
  });

  it('does not write to PostgreSQL when the run fails', async () => {
    const dir = await tempDir();
    const cfg = await writePipeline(dir, [
      { layer: 'connect', name: 'warehouse', value: server.url },
      { layer: 'ingest', name: 'read_sensors', type: 'sql', value: 'SELECT * FROM sensors', params: { connection: 'warehouse' }, outputs: { data: 'sensors' } },
      { layer: 'store', name: 'write_copy', value: 'sensors_copy', params: { connection: 'warehouse' }, inputs: { data: 'sensors' } },
      { layer: 'transform', name: 'fails', value: 'SELECT missing FROM s', inputs: { s: 'sensors' }, outputs: { data: 'x' }, depends_on: ['write_copy'] },
    ]);
    expect((await odibi(['run', cfg])).code).toBe(1);
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      const t = await client.query(`SELECT to_regclass('public.sensors_copy') AS t`);
      expect(t.rows[0].t).toBeNull();
    } finally {
      await client.end();
    }
  });

  it('names the connect step and redacts the URL when the server is unreachable', async () => {
    const dir = await tempDir();
    const cfg = await writePipeline(dir, [
      { layer: 'connect', name: 'nowhere', value: '${env:BAD_URL}' },
      { layer: 'ingest', name: 'q', type: 'sql', value: 'SELECT 1', params: { connection: 'nowhere' }, outputs: { data: 'q' } },
    ]);
    const secretUrl = 'postgres://odibi:hunter2@127.0.0.1:1/postgres';
    const r = await odibi(['run', cfg], { env: { BAD_URL: secretUrl } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✖ nowhere\s+connect\s+failed: cannot open connection/);
    expect(r.stdout + r.stderr).not.toContain('hunter2');
  });
});

describe('SQLite and DuckDB file connections', () => {
  it('stores to and reads back from SQLite and DuckDB files', async () => {
    const dir = await tempDir();
    const write = await writePipeline(dir, [
      { layer: 'connect', name: 'lite', value: 'db/app.sqlite' },
      { layer: 'connect', name: 'duck', value: 'db/warehouse.duckdb' },
      { layer: 'ingest', name: 'numbers', type: 'sql', value: "SELECT range AS id, 'n' || range AS label, range / 2 AS half FROM range(6)", outputs: { data: 'n' } },
      { layer: 'store', name: 'to_sqlite', value: 'numbers', params: { connection: 'lite' }, inputs: { data: 'n' } },
      { layer: 'store', name: 'to_duckdb', value: 'numbers', params: { connection: 'duck' }, inputs: { data: 'n' } },
    ], 'write.json');
    expect((await odibi(['run', write])).code).toBe(0);

    const read = await writePipeline(dir, [
      { layer: 'connect', name: 'lite', value: 'db/app.sqlite' },
      { layer: 'connect', name: 'duck', value: 'db/warehouse.duckdb' },
      { layer: 'ingest', name: 'from_sqlite', type: 'sql', value: 'SELECT id, label FROM numbers WHERE id >= 3', params: { connection: 'lite' }, outputs: { data: 'a' } },
      { layer: 'ingest', name: 'from_duckdb', type: 'sql', value: 'SELECT id, half FROM numbers WHERE id < 3', params: { connection: 'duck' }, outputs: { data: 'b' } },
      { layer: 'transform', name: 'joined', value: 'SELECT count(*) AS n, sum(a.id) + sum(b.id) AS ids FROM a, b', inputs: { a: 'a', b: 'b' }, outputs: { data: 'j' } },
      { layer: 'publish', name: 'report', value: 'out/joined.json', inputs: { data: 'j' } },
    ], 'read.json');
    const r = await odibi(['run', read]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(await readFile(path.join(dir, 'out/joined.json'), 'utf8'))).toEqual([{ n: 9, ids: 3 * (3 + 4 + 5) + 3 * (0 + 1 + 2) }]);
    expect((await readdir(path.join(dir, 'db'))).filter((f) => f.includes('odibi-tmp'))).toEqual([]);
  });
});

describe('HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startHttpServer((req) => (req.method === 'GET' ? { json: { data: { items: [{ id: 1, city: 'Oslo', temp: 3.5 }, { id: 2, city: 'Lima', temp: 19 }] } } } : {}));
  });
  afterAll(() => server.close());

  it('ingests JSON from an API and POSTs rows with a secret header that never leaks', async () => {
    const dir = await tempDir();
    const state = await tempDir();
    const cfg = await writePipeline(dir, [
      { layer: 'ingest', name: 'weather', type: 'api', value: `${server.url}/weather`, params: { records_path: 'data.items' }, outputs: { data: 'w' } },
      { layer: 'transform', name: 'warm', value: 'SELECT city, temp FROM w WHERE temp > 10', inputs: { w: 'w' }, outputs: { data: 'warm' } },
      { layer: 'publish', name: 'notify', params: { url: `${server.url}/hook`, headers: { authorization: 'Bearer ${env:API_TOKEN}' } }, inputs: { data: 'warm' } },
    ]);
    const token = 'tok-9f8e7d6c5b4a';
    const r = await odibi(['run', cfg, '--json', '--state-dir', state], { env: { API_TOKEN: token } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const post = server.received.find((x) => x.method === 'POST')!;
    expect(post.headers.authorization).toBe(`Bearer ${token}`);
    expect(JSON.parse(post.body)).toEqual([{ city: 'Lima', temp: 19 }]);
    // Not in the event stream, not in the run record.
    expect(r.stdout).not.toContain(token);
    const [record] = await readdir(path.join(state, 'runs'));
    expect(await readFile(path.join(state, 'runs', record), 'utf8')).not.toContain(token);
  });

  it('fails the publish step with the status when the endpoint refuses', async () => {
    const refusing = await startHttpServer(() => ({ status: 503, json: { error: 'down' } }));
    try {
      const dir = await tempDir();
      const cfg = await writePipeline(dir, [
        { layer: 'ingest', name: 'one', type: 'sql', value: 'SELECT 1 AS x', outputs: { data: 'one' } },
        { layer: 'publish', name: 'push', params: { url: `${refusing.url}/in`, retries: 1, retry_delay_ms: 10 }, inputs: { data: 'one' } },
      ]);
      const r = await odibi(['run', cfg]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/↻ push .*attempt 1 failed/);
      expect(r.stdout).toMatch(/✖ push\s+publish\s+failed after 2 attempts: POST .* answered 503/);
      expect(refusing.received.length).toBe(2);
    } finally {
      await refusing.close();
    }
  });
});
