/**
 * Stream sources on real brokers started from Debian on 127.0.0.1: a Redis stream read through a
 * consumer group, and a NATS JetStream subject read through a durable consumer. Each is SIGKILLed
 * 10 times at random moments while messages arrive, and restarted; at the end the sink holds every
 * message exactly once (the same crash test as files, `test/helpers/stream-crash.ts`), and every
 * message is acknowledged on the broker.
 */
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from 'nats';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, odibi } from '../helpers/cli.js';
import { query } from '../helpers/duckdb.js';
import { startNats, startRedis, type BrokerServer } from '../helpers/brokers.js';
import { tempDir, writePipeline } from '../helpers/project.js';
import { streamCrashTest } from '../helpers/stream-crash.js';

const KILLS = 10;
const localParts = (dir: string) => async () => ({ dir: path.join(dir, 'out/clean'), names: await readdir(path.join(dir, 'out/clean')) });

describe('Redis Streams source', () => {
  let server: BrokerServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  }, 60_000);
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  it(`takes every entry exactly once through ${KILLS} SIGKILLs while entries arrive, and acknowledges each`, async () => {
    const dir = await tempDir('odibi-redis-');
    const summary = await streamCrashTest({
      dir, kills: KILLS, files: 40, rowsPerFile: 15, sink: 'out/clean', killWithinMs: 80, arrivalScale: 3,
      source: { layer: 'ingest', name: 'readings', value: server.url, params: { stream: { mode: 'redis', stream: 'readings', group: 'etl' } }, outputs: { data: 'raw' } },
      publish: async (rows) => {
        const p = redis.pipeline();
        for (const r of rows) p.xadd('readings', '*', 'file_no', String(r.file_no), 'row_no', String(r.row_no), 'device', r.device, 'v', r.v);
        await p.exec();
      },
      parts: localParts(dir),
    });
    console.log(`redis crash test: ${summary}`);
    // Everything taken was acknowledged after its commit: nothing is pending in the group.
    const [pending] = await redis.xpending('readings', 'etl') as [number, ...unknown[]];
    expect(pending).toBe(0);
    expect(await redis.xlen('readings')).toBe(600);
  }, 300_000);

  it('keeps every field as text with an _id column, and names the step when Redis is not there', async () => {
    const dir = await tempDir('odibi-redis-');
    await redis.xadd('typed', '*', 'when', '2026-11-30', 'n', '007', 'note', 'say "hi", twice');
    await redis.xadd('typed', '*', 'n', '8');
    await writePipeline(dir, [
      { layer: 'ingest', name: 'entries', value: server.url, params: { stream: { mode: 'redis', stream: 'typed', group: 'g' } }, outputs: { data: 'raw' } },
      { layer: 'store', name: 'sink', value: 'out/typed', params: { mode: 'append' }, inputs: { data: 'raw' } },
    ]);
    const r = await odibi(['stream', 'pipeline.json', '--until-idle', '1', '--json'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await query(`SELECT * FROM read_parquet('${dir}/out/typed/*.parquet') ORDER BY _id`)).toEqual([
      { _id: expect.stringMatching(/^\d+-\d+$/), when: '2026-11-30', n: '007', note: 'say "hi", twice' },
      { _id: expect.stringMatching(/^\d+-\d+$/), when: null, n: '8', note: null },
    ]);
    const types = await query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${dir}/out/typed/*.parquet'))`);
    expect(types.every((t) => t.column_type === 'VARCHAR')).toBe(true);

    // A one-off run cannot read a broker; a stream pointed at a dead server names the step and the URL.
    const once = await odibi(['run', 'pipeline.json'], { cwd: dir });
    expect(once.code).toBe(1);
    expect(once.stdout + once.stderr).toMatch(/reads a Redis stream: it has input only in a stream/);
    await writePipeline(dir, [
      { layer: 'ingest', name: 'entries', value: 'redis://127.0.0.1:1', params: { stream: { mode: 'redis', stream: 'typed', group: 'g' } }, outputs: { data: 'raw' } },
      { layer: 'store', name: 'sink', value: 'out/typed', params: { mode: 'append' }, inputs: { data: 'raw' } },
    ]);
    const dead = await odibi(['stream', 'pipeline.json'], { cwd: dir });
    expect(dead.code).not.toBe(0);
    expect(dead.stderr).toMatch(/entries.*cannot reach Redis at redis:\/\/127\.0\.0\.1:1/s);
  }, 60_000);
});

describe('NATS JetStream source', () => {
  let server: BrokerServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await startNats();
    nc = await connect({ servers: server.url });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'READINGS', subjects: ['readings.>'] });
    await jsm.streams.add({ name: 'OTHER', subjects: ['other.>'] });
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it(`takes every message exactly once through ${KILLS} SIGKILLs while messages arrive, and acknowledges each`, async () => {
    const dir = await tempDir('odibi-nats-');
    const js = nc.jetstream();
    const summary = await streamCrashTest({
      dir, kills: KILLS, files: 40, rowsPerFile: 15, sink: 'out/clean', killWithinMs: 80, arrivalScale: 3,
      source: { layer: 'ingest', name: 'readings', value: server.url, params: { stream: { mode: 'nats', stream: 'READINGS', subject: 'readings.>', durable: 'etl' } }, outputs: { data: 'raw' } },
      publish: async (rows) => {
        for (const r of rows) await js.publish(`readings.${r.device}`, JSON.stringify(r));
      },
      parts: localParts(dir),
    });
    console.log(`nats crash test: ${summary}`);
    const info = await (await nc.jetstreamManager()).consumers.info('READINGS', 'etl');
    expect(info.num_pending).toBe(0);
    expect(info.num_ack_pending).toBe(0);
    expect((await (await nc.jetstreamManager()).streams.info('READINGS')).state.messages).toBe(600);
  }, 300_000);

  it('turns JSON payloads into rows with _seq, and other payloads into _value', async () => {
    const dir = await tempDir('odibi-nats-');
    const js = nc.jetstream();
    await js.publish('other.a', JSON.stringify({ device: 'd1', temp: 21.5 }));
    await js.publish('other.b', 'not json');
    await writePipeline(dir, [
      { layer: 'ingest', name: 'msgs', value: server.url, params: { stream: { mode: 'nats', stream: 'OTHER', subject: 'other.>', durable: 'reader' } }, outputs: { data: 'raw' } },
      { layer: 'store', name: 'sink', value: 'out/msgs', params: { mode: 'append' }, inputs: { data: 'raw' } },
    ]);
    const r = await odibi(['stream', 'pipeline.json', '--until-idle', '1', '--json'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(events(r.stdout).filter((e) => e.type === 'batch_end' && e.status === 'success')).toHaveLength(1);
    expect(await query(`SELECT device, temp, _value, _seq FROM read_parquet('${dir}/out/msgs/*.parquet') ORDER BY _seq`)).toEqual([
      { device: 'd1', temp: 21.5, _value: null, _seq: 1 },
      { device: null, temp: null, _value: 'not json', _seq: 2 },
    ]);
    // Started again with nothing new: no batch, nothing taken twice.
    const again = await odibi(['stream', 'pipeline.json', '--until-idle', '1', '--json'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(events(again.stdout).filter((e) => e.type === 'batch_end')).toHaveLength(0);
  }, 60_000);
});
