import { appendFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stageFile } from '../engine/staging.js';
import { StreamTest } from '../testing/stream-test.js';
import type { FaultPoint } from './stream.js';

const tests: StreamTest[] = [];
afterEach(async () => {
  await Promise.all(tests.splice(0).map((t) => t.cleanup()));
});

async function create(steps: unknown[], triggerIntervalMs = 1000): Promise<StreamTest> {
  const t = await StreamTest.create(steps, { triggerIntervalMs });
  tests.push(t);
  return t;
}

const fileWatch = (extra: Record<string, unknown> = {}) => [
  { layer: 'ingest', name: 'readings', value: 'in', params: { stream: { mode: 'file_watch', pattern: '*.csv', ...extra } }, outputs: { data: 'raw' } },
  { layer: 'transform', name: 'double', value: 'SELECT id, v * 2 AS v2 FROM raw', inputs: { raw: 'raw' }, outputs: { data: 'doubled' } },
  { layer: 'store', name: 'sink', value: 'out', params: { mode: 'append' }, inputs: { data: 'doubled' } },
];
const csv = (ids: number[]) => `id,v\n${ids.map((i) => `${i},${i * 10}`).join('\n')}\n`;
const sinkIds = async (t: StreamTest) => (await t.query("SELECT id FROM read_parquet('out/*.parquet') ORDER BY id")).map((r) => r.id);

describe('file_watch', () => {
  it('takes each new file once, a part per batch named by batch id', async () => {
    const t = await create(fileWatch());
    await t.addFile('in/a.csv', csv([1, 2]));
    await t.start();
    await t.processAll();
    await t.addFile('in/b.csv', csv([3]));
    await t.addFile('in/.c.csv.tmp', csv([99]));
    await t.processAll();
    expect(await sinkIds(t)).toEqual([1, 2, 3]);
    expect((await readdir(path.join(t.dir, 'out'))).sort()).toEqual(['part-00000000.parquet', 'part-00000001.parquet']);
    expect(await t.query("SELECT v2 FROM read_parquet('out/part-00000001.parquet')")).toEqual([{ v2: 60 }]);
  });

  it('stamps every event, and a display that throws becomes a hook_error while batches go on', async () => {
    const t = await create(fileWatch());
    await t.addFile('in/a.csv', csv([1, 2]));
    await t.start({ onEvent: (e) => { if (e.type === 'batch_start') throw new Error('the display broke'); } });
    await t.processAll();
    expect(await sinkIds(t)).toEqual([1, 2]);
    expect(t.events.find((e) => e.type === 'hook_error')).toMatchObject({ error: { message: 'a hook failed on batch_start: the display broke' } });
    // Stamped with the stream's clock (a manual one here), not the wall clock.
    const day = new Date(t.clock.now()).toISOString().slice(0, 10);
    for (const e of t.events) {
      expect(e.timestamp, e.type).toMatch(new RegExp(`^${day}T\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$`));
      expect(Date.parse(e.timestamp), e.type).toBeLessThanOrEqual(t.clock.now());
    }
  });

  it('removes staging files a killed run left in its sink folder when it starts', async () => {
    const t = await create(fileWatch());
    // Named as a run on this host with a pid no process has (above Linux's pid_max).
    const s = await stageFile(path.join(t.dir, 'out', 'part-x.parquet'), 'old');
    const left = s.tempPath.replace(`.${process.pid}.`, '.99999999.');
    await writeFile(left, 'half a part');
    await t.addFile('in/a.csv', csv([1]));
    await t.start();
    await t.processAll();
    expect(await readdir(path.join(t.dir, 'out'))).toEqual(['part-00000000.parquet']);
    expect(t.events).toContainEqual(expect.objectContaining({ type: 'stream_log', message: expect.stringMatching(/removed 1 staging file left by runs that were killed/) }));
  });

  for (const point of ['planned', 'after_offsets', 'after_run', 'after_commit'] as FaultPoint[]) {
    it(`recovers exactly once from a crash ${point.replace('_', ' ')}`, async () => {
      const t = await create(fileWatch());
      await t.addFile('in/a.csv', csv([1, 2]));
      await t.start();
      await t.processAll();
      t.crashAt(point);
      await t.addFile('in/b.csv', csv([3, 4]));
      await t.processAll();
      const crashed = await t.ended();
      expect(crashed.reason).toBe('failed');
      expect(crashed.error?.message).toMatch(`crash at ${point}`);
      await t.addFile('in/c.csv', csv([5]));
      await t.start();
      await t.processAll();
      expect(await sinkIds(t)).toEqual([1, 2, 3, 4, 5]);
      // A batch whose offsets were written is replayed first, with the same input.
      const starts = t.events.filter((e) => e.type === 'stream_start');
      const replayed = (starts[1] as { replaying?: number }).replaying;
      expect(replayed).toBe(point === 'after_offsets' || point === 'after_run' ? 1 : undefined);
      if (replayed !== undefined) {
        const replay = t.events.find((e) => e.type === 'batch_start' && e.replay);
        expect(replay).toMatchObject({ batchId: 1, inputs: { readings: 1 } });
      }
    });
  }

  it('waits for a file written in place to keep its size for settle_ms', async () => {
    const t = await create(fileWatch({ settle_ms: 5000 }));
    await mkdir(path.join(t.dir, 'in'));
    await t.start();
    await writeFile(path.join(t.dir, 'in/slow.csv'), 'id,v\n1,10\n');
    await t.processAll();
    expect(t.committed()).toEqual([]);
    await appendFile(path.join(t.dir, 'in/slow.csv'), '2,20\n');
    await t.advance(3000);
    expect(t.committed()).toEqual([]);
    await t.advance(3000);
    await t.advance(3000);
    expect(t.committed()).toEqual([0]);
    expect(await sinkIds(t)).toEqual([1, 2]);
  });

  it('stops after --until-idle without input, and after --max-batches', async () => {
    const t = await create(fileWatch());
    await t.addFile('in/a.csv', csv([1]));
    await t.start({ untilIdleMs: 10_000 });
    await t.processAll();
    await t.advance(11_000);
    expect((await t.ended()).reason).toBe('until_idle');

    const u = await create(fileWatch());
    await u.addFile('in/a.csv', csv([1]));
    await u.addFile('in/b.csv', csv([2]));
    await u.start({ maxBatches: 1 });
    expect(await u.ended()).toMatchObject({ reason: 'max_batches', batches: 1 });
  });

  it('gives a source with nothing new an empty table shaped like its files', async () => {
    const t = await create([
      { layer: 'ingest', name: 'north', value: 'north', params: { stream: { mode: 'file_watch', pattern: '*.csv' } }, outputs: { data: 'n' } },
      { layer: 'ingest', name: 'south', value: 'south', params: { stream: { mode: 'file_watch', pattern: '*.csv' } }, outputs: { data: 's' } },
      { layer: 'transform', name: 'both', value: "SELECT 'n' AS site, id FROM n UNION ALL SELECT 's', id FROM s", inputs: { n: 'n', s: 's' }, outputs: { data: 'both' } },
      { layer: 'store', name: 'sink', value: 'out', params: { mode: 'append' }, inputs: { data: 'both' } },
    ]);
    await mkdir(path.join(t.dir, 'south'));
    await t.addFile('north/a.csv', csv([1]));
    await t.start();
    await t.processAll();
    expect(t.committed()).toEqual([]);
    expect(t.events.some((e) => e.type === 'stream_log' && e.message.includes("waiting for the first input of streaming step 'south'"))).toBe(true);
    await t.addFile('south/b.csv', csv([2]));
    await t.processAll();
    await t.addFile('north/c.csv', csv([3]));
    await t.processAll();
    expect(t.committed()).toEqual([0, 1]);
    expect(await t.query("SELECT site, id FROM read_parquet('out/part-00000001.parquet')")).toEqual([{ site: 'n', id: 3 }]);
  });

  it('refuses append sinks that a replay could not make idempotent', async () => {
    const t = await create([...fileWatch().slice(0, 2), { layer: 'connect', name: 'wh', value: 'wh.duckdb' }, { layer: 'store', name: 'sink', value: 'doubled', params: { mode: 'append', connection: 'wh' }, inputs: { data: 'doubled' } }]);
    await mkdir(path.join(t.dir, 'in'));
    await expect(t.start()).rejects.toThrow("step 'sink' appends to a table of connection 'wh', which a replayed batch would insert twice");
  });

  it('refuses to overwrite parts of batches its logs do not know (a deleted state dir)', async () => {
    const t = await create(fileWatch());
    await t.addFile('in/a.csv', csv([1]));
    await t.start();
    await t.processAll();
    await t.stop();
    await rm(path.join(t.dir, '.odibi'), { recursive: true });
    await expect(t.start()).rejects.toThrow(/holds parts of batches up to 0, but this stream's logs are empty/);
  });

  it('ignores an unreadable commits entry with a warning and replays that batch', async () => {
    const t = await create(fileWatch());
    await t.addFile('in/a.csv', csv([1]));
    await t.start();
    await t.processAll();
    await t.addFile('in/b.csv', csv([2]));
    await t.processAll();
    await t.stop();
    await writeFile(path.join(t.dir, '.odibi/streams/streamtest/commits/0000000001.json'), '{"version": 1, "batchId"');
    await t.start();
    await t.processAll();
    expect(t.events.some((e) => e.type === 'stream_log' && /ignoring unreadable commit log entry .*0000000001\.json/.test(e.message))).toBe(true);
    expect(await sinkIds(t)).toEqual([1, 2]);
  });
});

describe('incremental', () => {
  const steps = [
    { layer: 'ingest', name: 'events', value: 'data/events.csv', params: { stream: { mode: 'incremental', watermark_column: 'ts', lateness: '10m' } }, outputs: { data: 'raw' } },
    { layer: 'store', name: 'sink', value: 'out', params: { mode: 'append' }, inputs: { data: 'raw' } },
  ];
  const ids = async (t: StreamTest) => (await t.query("SELECT id FROM read_parquet('out/*.parquet') ORDER BY id")).map((r) => r.id);

  it('takes rows above the watermark minus lateness, once; rows later than that are left out', async () => {
    const t = await create(steps);
    const file = path.join(t.dir, 'data/events.csv');
    await t.addFile('data/events.csv', 'id,ts\n1,2026-01-01 10:00:00\n2,2026-01-01 10:30:00\n');
    await t.start();
    await t.processAll();
    expect(await ids(t)).toEqual([1, 2]);
    // 3 is new; 4 is late but within 10 minutes of the watermark (10:30); 5 is too late.
    await appendFile(file, '3,2026-01-01 10:40:00\n4,2026-01-01 10:25:00\n5,2026-01-01 10:05:00\n');
    await t.processAll();
    expect(await ids(t)).toEqual([1, 2, 3, 4]);
    await t.processAll();
    expect(t.committed()).toEqual([0, 1]);
    const commit = JSON.parse(await readFile(path.join(t.dir, '.odibi/streams/streamtest/commits/0000000001.json'), 'utf8'));
    expect(commit.state.events.watermark).toBe('2026-01-01 10:40:00');
  });

  it('takes a row that arrives later with the watermark\'s own value (no lateness)', async () => {
    const t = await create([{ ...steps[0], params: { stream: { mode: 'incremental', watermark_column: 'ts' } } }, steps[1]]);
    await t.addFile('data/events.csv', 'id,ts\n1,2026-01-01 10:00:00\n');
    await t.start();
    await t.processAll();
    await appendFile(path.join(t.dir, 'data/events.csv'), '2,2026-01-01 10:00:00\n3,2026-01-01 09:00:00\n');
    await t.processAll();
    expect(await ids(t)).toEqual([1, 2]);
  });

  it('replays a crashed batch from its snapshot, not from the grown source', async () => {
    const t = await create(steps);
    const file = path.join(t.dir, 'data/events.csv');
    await t.addFile('data/events.csv', 'id,ts\n1,2026-01-01 10:00:00\n');
    await t.start();
    t.crashAt('after_offsets', 0);
    await t.processAll();
    await t.ended();
    await appendFile(file, '2,2026-01-01 11:00:00\n');
    await t.start();
    await t.processAll();
    expect(await t.query("SELECT id FROM read_parquet('out/part-00000000.parquet')")).toEqual([{ id: 1 }]);
    expect(await ids(t)).toEqual([1, 2]);
  });

  it('reads a growing table through a connection step', async () => {
    const t = await create([
      { layer: 'connect', name: 'warehouse', value: 'wh.duckdb' },
      { layer: 'ingest', name: 'events', type: 'sql', value: 'SELECT * FROM events', params: { connection: 'warehouse', stream: { mode: 'incremental', watermark_column: 'id' } }, outputs: { data: 'raw' } },
      steps[1],
    ]);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const write = async (sql: string) => {
      const inst = await DuckDBInstance.create(path.join(t.dir, 'wh.duckdb'));
      const c = await inst.connect();
      await c.run(sql);
      c.closeSync();
      inst.closeSync();
    };
    await write('CREATE TABLE events AS SELECT range AS id FROM range(3)');
    await t.start();
    await t.processAll();
    await t.stop();
    await write('INSERT INTO events SELECT range AS id FROM range(3, 5)');
    await t.start();
    await t.processAll();
    expect(await ids(t)).toEqual([0, 1, 2, 3, 4]);
    expect(t.committed()).toEqual([0, 1]);
  });

  it('names the missing watermark column', async () => {
    const t = await create([{ ...steps[0], params: { stream: { mode: 'incremental', watermark_column: 'time' } } }, steps[1]]);
    await t.addFile('data/events.csv', 'id,ts\n1,2026-01-01 10:00:00\n');
    await t.start();
    const end = await t.ended();
    expect(end.error?.message).toMatch("watermark column 'time' is not in the source (columns: id, ts)");
  });
});

describe('interval', () => {
  it('re-reads the source every period, a batch per tick', async () => {
    const t = await create([
      { layer: 'ingest', name: 'prices', value: 'data/prices.csv', params: { stream: { mode: 'interval', every: '30s' } }, outputs: { data: 'raw' } },
      { layer: 'store', name: 'sink', value: 'out', params: { mode: 'append' }, inputs: { data: 'raw' } },
    ], 5000);
    await t.addFile('data/prices.csv', 'sku,price\na,1\n');
    await t.start();
    await t.processAll();
    expect(t.committed()).toEqual([0]);
    await t.addFile('data/prices.csv', 'sku,price\na,2\nb,3\n');
    await t.advance(10_000);
    expect(t.committed()).toEqual([0]);
    await t.advance(20_000);
    expect(t.committed()).toEqual([0, 1]);
    expect(await t.query("SELECT sku, price FROM read_parquet('out/part-00000001.parquet') ORDER BY sku")).toEqual([{ sku: 'a', price: 2 }, { sku: 'b', price: 3 }]);
  });
});

describe('event', () => {
  const steps = [
    { layer: 'ingest', name: 'clicks', params: { stream: { mode: 'event', port: 0 } }, outputs: { data: 'raw' } },
    { layer: 'transform', name: 'count', value: 'SELECT page, count(*) AS n FROM raw GROUP BY page', inputs: { raw: 'raw' }, outputs: { data: 'counts' } },
    { layer: 'store', name: 'sink', value: 'out', params: { mode: 'append' }, inputs: { data: 'counts' } },
  ];

  it('takes events from the TypeScript API and from HTTP POSTs, a batch per arrival', async () => {
    const t = await create(steps);
    const h = await t.start();
    expect(await h.emit('clicks', [{ page: 'a' }, { page: 'b' }])).toBe(2);
    await t.processAll();
    const url = h.endpoint('clicks')!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/events$/);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{"page":"a"}\n{"page":"a"}\n' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 2 });
    await t.processAll();
    expect(await t.query("SELECT page, sum(n) AS n FROM read_parquet('out/*.parquet') GROUP BY page ORDER BY page")).toEqual([{ page: 'a', n: 3 }, { page: 'b', n: 1 }]);
    const bad = await fetch(url, { method: 'POST', body: '{"page":' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/not valid JSON/);
    expect((await fetch(url.replace('/events', '/nope'), { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('keeps accepted events across a crash and processes them once', async () => {
    const t = await create(steps);
    let h = await t.start();
    t.crashAt('after_run');
    await h.emit('clicks', [{ page: 'x' }]);
    await t.processAll();
    await t.ended();
    h = await t.start();
    await h.emit('clicks', [{ page: 'y' }]);
    await t.processAll();
    expect(await t.query("SELECT page, sum(n) AS n FROM read_parquet('out/*.parquet') GROUP BY page ORDER BY page")).toEqual([{ page: 'x', n: 1 }, { page: 'y', n: 1 }]);
    // Taken events leave the inbox (the newest stays as the shape of an empty batch).
    expect((await readdir(path.join(t.dir, '.odibi/streams/streamtest/sources/clicks/inbox'))).filter((f) => f.endsWith('.ndjson'))).toHaveLength(1);
  });
});
