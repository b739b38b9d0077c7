/**
 * A run killed with SIGKILL cannot clean up after itself: its staged outputs stay as hidden
 * `.odibi-tmp` files. The next run removes those of processes that are gone, never a live run's,
 * and the committed outputs stay as they were through every kill.
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, events, odibi } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { tempDir, writePipeline } from '../helpers/project.js';

const ROWS = 2_000_000;

async function stagingFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { recursive: true })) if (String(entry).endsWith('.odibi-tmp')) found.push(String(entry));
  return found;
}

/** Starts `odibi run` and SIGKILLs it once it has staged an output (its pid is in the name), `delayMs` later. */
async function killWhileWriting(cfg: string, out: string, delayMs: number): Promise<{ pid: number; staged: boolean }> {
  const child = spawn(process.execPath, [CLI, 'run', cfg], { stdio: 'ignore' });
  let staged = false;
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  while (!staged && Date.now() < deadline && child.exitCode === null) {
    staged = (await stagingFiles(out).catch(() => [])).some((f) => f.includes(`.${child.pid}.`));
    if (!staged) await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, delayMs));
  child.kill('SIGKILL');
  await exited;
  return { pid: child.pid!, staged };
}

describe('staging hygiene', () => {
  it('removes what ten SIGKILLed runs left, and every output stays intact', async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'out');
    const cfg = await writePipeline(dir, [
      { layer: 'ingest', name: 'readings', type: 'sql', value: `SELECT range AS id, range % 97 AS sensor, random() AS v FROM range(${ROWS})`, outputs: { data: 'r' } },
      { layer: 'store', name: 'save_all', value: 'out/readings.parquet', inputs: { data: 'r' } },
      { layer: 'store', name: 'append_parts', value: 'out/parts', params: { mode: 'append' }, inputs: { data: 'r' } },
      { layer: 'publish', name: 'export_csv', value: 'out/readings.csv', inputs: { data: 'r' } },
      // Keeps the run alive after its writes are staged and before they commit.
      { layer: 'transform', name: 'crunch', value: 'SELECT count(*) AS c FROM range(20000) a, range(20000) b, (SELECT 1 FROM r LIMIT 1) one WHERE (a.range * b.range) % 7 = 3', inputs: { r: 'r' }, outputs: { data: 'c' }, depends_on: ['save_all', 'append_parts', 'export_csv'] },
    ]);
    const first = await odibi(['run', cfg]);
    expect(first.code, first.stderr).toBe(0);
    const committed = async () => ({
      parquet: (await query(`SELECT count(*)::INT AS n, sum(id)::BIGINT AS s FROM read_parquet('${out}/readings.parquet')`))[0],
      csv: (await query(`SELECT count(*)::INT AS n FROM read_csv('${out}/readings.csv')`))[0],
      parts: (await query(`SELECT count(*)::INT AS n FROM read_parquet('${out}/parts/*.parquet')`))[0],
    });
    const before = await committed();
    expect(before.parquet.n).toBe(ROWS);

    let killedWithStaging = 0;
    for (let i = 0; i < 10; i++) {
      const { staged } = await killWhileWriting(cfg, out, (i * 37) % 300);
      if (staged) killedWithStaging++;
      // Killed before its commit: every committed output is exactly as it was.
      expect(await committed()).toEqual(before);
    }
    // Every kill landed after the run had staged outputs of its own.
    expect(killedWithStaging).toBe(10);
    const left = await stagingFiles(out);
    expect(left.length).toBeGreaterThan(0);

    const next = await odibi(['run', cfg, '--json']);
    expect(next.code, next.stderr).toBe(0);
    expect(await stagingFiles(out)).toEqual([]);
    const sweep = events(next.stdout).find((e) => e.type === 'run_log');
    expect(sweep?.message).toMatch(/removed \d+ staging files? left by runs that were killed/);
    expect(sweep?.message).toContain(`removed ${left.length} `);
    const after = await committed();
    expect(after.parquet.n).toBe(ROWS);
    expect(after.csv.n).toBe(ROWS);
    // One more committed append part than before the kills, no more: killed runs added none.
    expect(after.parts.n).toBe(before.parts.n + ROWS);
  }, 240_000);

  it("never removes a live run's staging files", async () => {
    const dir = await tempDir();
    const out = path.join(dir, 'out');
    const cfg = await writePipeline(dir, [
      { layer: 'ingest', name: 'numbers', type: 'sql', value: 'SELECT range AS id FROM range(1000)', outputs: { data: 'n' } },
      { layer: 'store', name: 'save', value: 'out/numbers.parquet', inputs: { data: 'n' } },
      { layer: 'transform', name: 'slow', value: 'SELECT count(*) AS c FROM range(100000000000), n', inputs: { n: 'n' }, outputs: { data: 'h' }, depends_on: ['save'] },
    ]);
    const other = await writePipeline(dir, [
      { layer: 'ingest', name: 'numbers', type: 'sql', value: 'SELECT 1 AS id', outputs: { data: 'n' } },
      { layer: 'store', name: 'save_other', value: 'out/other.parquet', inputs: { data: 'n' } },
    ], 'other.json');
    const live = spawn(process.execPath, [CLI, 'run', cfg], { stdio: 'ignore' });
    try {
      const deadline = Date.now() + 30_000;
      while ((await stagingFiles(out).catch(() => [])).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const staged = await stagingFiles(out);
      expect(staged).toHaveLength(1);
      // Another pipeline writing into the same folder runs meanwhile.
      const r = await odibi(['run', other]);
      expect(r.code, r.stderr).toBe(0);
      expect(await stagingFiles(out)).toEqual(staged);
    } finally {
      live.kill('SIGKILL');
    }
  }, 60_000);
});
