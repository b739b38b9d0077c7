/**
 * The notebook magics on an object store (Azurite): %ingest, %store and %publish take `az://`
 * paths like local ones, and `%export` gives a config that `odibi run` runs against the store with
 * the notebook's result.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteServer } from '../helpers/azurite.js';
import { odibi, REPO } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { jupyterEnv } from '../helpers/jupyter.js';
import { tempDir } from '../helpers/project.js';

const run = promisify(execFile);
type Cell = { reply: Record<string, any>; outputs: { type: string; [k: string]: any }[] };

let server: AzuriteServer;
let lake: ContainerClient;
let dir: string;
let cells: Record<string, Cell>;

beforeAll(async () => {
  server = await startAzurite();
  lake = BlobServiceClient.fromConnectionString(server.connectionString).getContainerClient('lake');
  await lake.create();
  const csv = 'id,name\n1,ada\n2,grace\n3,edsger\n';
  await lake.getBlockBlobClient('nb/people.csv').upload(csv, csv.length);
  dir = await tempDir('odibi-cloud-magics-');
  const list = path.join(dir, 'cells.json');
  await writeFile(list, JSON.stringify([
    ['ingest', '%ingest people az://lake/nb/people.csv'],
    ['sql', '%%sql loud\nSELECT id, upper(name) AS name FROM people ORDER BY id'],
    ['store', '%store loud az://lake/nb/out/loud.parquet'],
    ['publish', '%publish loud az://lake/nb/out/loud.json'],
    ['export', '%export pipelines/cloud.json'],
  ]));
  const env = { ...(await jupyterEnv()), AZURE_STORAGE_CONNECTION_STRING: server.connectionString };
  const { stdout } = await run('/usr/bin/python3', [path.join(REPO, 'test/storage/run_cells.py'), dir, list], { env, maxBuffer: 16 * 1024 * 1024, timeout: 180_000 });
  cells = JSON.parse(stdout);
}, 240_000);

afterAll(async () => {
  await server?.stop();
});

const text = (c: Cell) => c.outputs.find((o) => o.type === 'execute_result')?.data?.['text/plain'] ?? '';

describe('notebook magics on Azure Blob (Azurite)', () => {
  it('%ingest reads an az:// object, %store and %publish write az:// objects', async () => {
    for (const name of ['ingest', 'sql', 'store', 'publish', 'export']) expect(cells[name].reply.status, `${name}: ${JSON.stringify(cells[name].reply)}`).toBe('ok');
    expect(text(cells.ingest)).toMatch(/^people: 3 rows/);
    expect(text(cells.publish)).toBe('published 3 rows of loud to az://lake/nb/out/loud.json');
    const json = JSON.parse((await lake.getBlobClient('nb/out/loud.json').downloadToBuffer()).toString('utf8'));
    expect(json.map((r: { name: string }) => r.name)).toEqual(['ADA', 'GRACE', 'EDSGER']);
  });

  it('the exported config runs against the store with the notebook\'s result', async () => {
    await lake.getBlobClient('nb/out/loud.parquet').deleteIfExists();
    const r = await odibi(['run', 'pipelines/cloud.json'], { cwd: dir, env: { AZURE_STORAGE_CONNECTION_STRING: server.connectionString } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const file = path.join(dir, 'loud.parquet');
    await writeFile(file, await lake.getBlobClient('nb/out/loud.parquet').downloadToBuffer());
    expect(await query(`SELECT * FROM read_parquet('${file}') ORDER BY id`)).toEqual([{ id: 1, name: 'ADA' }, { id: 2, name: 'GRACE' }, { id: 3, name: 'EDSGER' }]);
  });
});
