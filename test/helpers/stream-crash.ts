/**
 * The exactly-once crash test, shared by a local stream, streams whose state and sink are on an
 * object store, and streams reading a broker (Redis Streams, NATS JetStream): `odibi stream` is SIGKILLed at seeded random moments (some right after a batch
 * starts) while CSV files keep arriving, and restarted each time. At the end the sink, read with
 * DuckDB over all its part files, must equal the same SQL run as one batch over all the inputs: no
 * row lost, none duplicated.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { rng } from '../../examples/iot/rng.mjs';
import { events, startCli, type CliProcess } from './cli.js';
import { query } from './duckdb.js';
import { writePipeline } from './project.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type StreamProcess = CliProcess;

/** A stream process whose JSON events can be awaited. */
export function startStream(dir: string, args: string[] = [], env: Record<string, string> = {}): StreamProcess {
  return startCli(['stream', 'pipeline.json', '--json', '--trigger-interval', '50', ...args], { cwd: dir, env });
}

/** One produced row, as every source carries it (a CSV line, a Redis entry, a NATS message). */
export interface CrashRow {
  file_no: number;
  row_no: number;
  device: string;
  v: string;
}

export interface CrashTestOptions {
  dir: string;
  /** The streaming ingest step (output `raw`); default: file_watch over `in/*.csv`. */
  source?: Record<string, unknown>;
  /** Sends one group of rows to the source; default: a CSV file dropped into `in/`. */
  publish?: (rows: CrashRow[], group: number) => Promise<void>;
  kills: number;
  files: number;
  rowsPerFile: number;
  /** The sink step's value: a folder, or a URI on a store. */
  sink: string;
  /** Extra `odibi stream` arguments (e.g. --state-dir) and environment. */
  args?: string[];
  env?: Record<string, string>;
  /**
   * How long after a batch starts a kill may land (default 40 ms). A batch on a store takes longer
   * (uploads, copies, log writes over HTTP): a wider window lets kills land after its commit too.
   */
  killWithinMs?: number;
  /** Scales the pauses between arriving files (default 1): a slower stream needs files arriving while it is killed. */
  arrivalScale?: number;
  /** A local folder holding the sink's part files as they are at the end (downloaded from a store). */
  parts: () => Promise<{ dir: string; names: string[] }>;
}

export async function streamCrashTest(o: CrashTestOptions): Promise<string> {
  const { dir } = o;
  await mkdir(path.join(dir, 'in'));
  await mkdir(path.join(dir, 'expected'));
  await writePipeline(dir, [
    o.source ?? { layer: 'ingest', name: 'readings', value: 'in', params: { stream: { mode: 'file_watch', pattern: '*.csv' } }, outputs: { data: 'raw' } },
    // Casts: a broker's fields arrive as text.
    { layer: 'transform', name: 'clean', value: "SELECT CAST(file_no AS INTEGER) AS file_no, CAST(row_no AS INTEGER) AS row_no, device, round(CAST(v AS DOUBLE) * 1.5, 3) AS v15 FROM raw WHERE device <> 'bad'", inputs: { raw: 'raw' }, outputs: { data: 'clean' } },
    { layer: 'store', name: 'sink', value: o.sink, params: { mode: 'append' }, inputs: { data: 'clean' } },
  ]);
  const random = rng(20261125);

  // Files arrive the way well-behaved producers drop them: written under a hidden name, then moved into place.
  let written = 0;
  const feeder = (async () => {
    for (let f = 0; f < o.files; f++) {
      const rows: CrashRow[] = Array.from({ length: o.rowsPerFile }, (_, r) => ({ file_no: f, row_no: r, device: random() < 0.1 ? 'bad' : `d${Math.floor(random() * 5)}`, v: (random() * 100).toFixed(2) }));
      const csv = `file_no,row_no,device,v\n${rows.map((r) => `${r.file_no},${r.row_no},${r.device},${r.v}`).join('\n')}\n`;
      const name = `batch-${String(f).padStart(3, '0')}.csv`;
      // What was sent, as the expected result reads it.
      await writeFile(path.join(dir, 'expected', name), csv);
      if (o.publish) {
        await o.publish(rows, f);
      } else {
        await writeFile(path.join(dir, 'in', `.${name}.tmp`), csv);
        await rename(path.join(dir, 'in', `.${name}.tmp`), path.join(dir, 'in', name));
      }
      written++;
      await sleep((20 + random() * 120) * (o.arrivalScale ?? 1));
    }
  })();

  let kills = 0;
  let replays = 0;
  const all: string[] = [];
  while (kills < o.kills) {
    const s = startStream(dir, o.args, o.env);
    if (random() < 0.5) {
      // Right after a batch starts: the kill lands inside the batch (before or after its sinks commit).
      // Once every file is in, a batch may never start again: wait less.
      const started = await s.waitFor((l) => l.includes('"batch_start"'), written < o.files ? 15_000 : 3000);
      if (started) await sleep(random() * (o.killWithinMs ?? 40));
    } else {
      await sleep(150 + random() * 900);
    }
    // Nothing stops a stream but the kill: one that exited on its own failed (a lost lock, a log conflict).
    expect(s.child.exitCode, s.lines.join('\n')).toBeNull();
    s.child.kill('SIGKILL');
    await s.exited;
    kills++;
    replays += s.lines.filter((l) => l.includes('"replaying"')).length;
    all.push(...s.lines);
  }
  await feeder;
  expect(written).toBe(o.files);

  // A last start drains whatever is left and exits once idle.
  const last = startStream(dir, [...o.args ?? [], '--until-idle', '2'], o.env);
  const code = await last.exited;
  const end = events(last.lines.join('\n')).find((e) => e.type === 'stream_end');
  expect(end?.reason, last.lines.join('\n')).toBe('until_idle');
  expect(code).toBe(0);

  const expectedSql = `SELECT file_no, row_no, device, round(v * 1.5, 3) AS v15 FROM read_csv('${dir}/expected/*.csv') WHERE device <> 'bad'`;
  const expected = await query(expectedSql);
  const parts = await o.parts();
  const sink = `read_parquet('${parts.dir}/*.parquet')`;
  const [{ n }] = await query(`SELECT count(*) AS n FROM ${sink}`);
  expect(n).toBe(expected.length);
  const [{ dups }] = await query(`SELECT count(*) AS dups FROM (SELECT file_no, row_no FROM ${sink} GROUP BY ALL HAVING count(*) > 1)`);
  expect(dups).toBe(0);
  expect(await query(`SELECT * FROM (${expectedSql} EXCEPT ALL SELECT * FROM ${sink})`)).toEqual([]);
  expect(await query(`SELECT * FROM (SELECT * FROM ${sink} EXCEPT ALL ${expectedSql})`)).toEqual([]);
  // Parts are named by batch id, and no half-written file is visible to readers.
  const visible = parts.names.filter((p) => !p.startsWith('.'));
  expect(visible.every((p) => /^part-\d{8}\.parquet$/.test(p))).toBe(true);
  const committed = (lines: string[]) => lines.filter((l) => l.includes('"batch_end"') && l.includes('"success"')).length;
  const durations = all.filter((l) => l.includes('"batch_end"') && l.includes('"success"')).map((l) => JSON.parse(l).durationMs as number);
  const median = durations.sort((a, b) => a - b)[Math.floor(durations.length / 2)] ?? 0;
  return `${kills} kills, median batch ${median} ms, ${replays} replayed batches, ${committed(all)} batches committed before a kill, ${visible.length} parts, ${n} rows`;
}
