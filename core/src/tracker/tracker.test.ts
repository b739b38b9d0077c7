import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtemp, mkdir, readFile, rm, writeFile, access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Layer, Pipeline, StepConfig } from '../config/model.js';
import type { ColumnSchema } from '../engine/duckdb-engine.js';
import { OdibiError } from '../errors.js';
import { EventBus } from '../exec/event-bus.js';
import type { DatasetInfo, SchemaDiff } from '../exec/events.js';
import { execute, type StepRunner } from '../exec/executor.js';
import { createPlan } from '../graph/plan.js';
import type { RunRecord } from './run-record.js';
import { RunStore } from './run-store.js';
import { newRunId } from '../shared/ids.js';
import { Tracker } from './tracker.js';
import { stepConfig, type StepSpec } from '../testing/step-config.js';


function step(layer: Layer, name: string, spec: StepSpec = {}): StepConfig {
  return stepConfig(layer, name, { ...spec, file: '/proj/sales.json' });
}

// load_orders ──┐
//               ├→ enrich ─→ export
// load_customers┘
// load_products (deselected; nobody reads it)
const salesPipeline: Pipeline = {
  name: 'sales',
  file: '/proj/sales.json',
  baseDir: '/proj',
  secrets: [],
  steps: [
    step('ingest', 'load_orders', { outputs: { orders: 'raw.orders' } }),
    step('ingest', 'load_customers', { outputs: { customers: 'raw.customers' } }),
    step('ingest', 'load_products', { outputs: { products: 'raw.products' } }),
    step('transform', 'enrich', { inputs: { o: 'raw.orders', c: 'raw.customers' }, outputs: { out: 'silver.enriched' }, params: { retries: 1 } }),
    step('publish', 'export', { inputs: { e: 'silver.enriched' } }),
  ],
};

const orderSchema: ColumnSchema[] = [{ name: 'order_id', type: 'INTEGER' }, { name: 'customer_id', type: 'INTEGER' }, { name: 'amount', type: 'DOUBLE' }];
const customerSchema: ColumnSchema[] = [{ name: 'customer_id', type: 'INTEGER' }, { name: 'name', type: 'VARCHAR' }];
const enrichedSchema: ColumnSchema[] = [{ name: 'order_id', type: 'INTEGER' }, { name: 'name', type: 'VARCHAR' }, { name: 'amount', type: 'DECIMAL(10,2)' }];

const orders: DatasetInfo = {
  key: 'raw.orders', alias: 'orders', rows: 7, schema: orderSchema,
  sample: [1, 2, 3, 4, 5].map((i) => ({ order_id: i, customer_id: (i % 2) + 1, amount: i * 10.5 })),
};
const customers: DatasetInfo = {
  key: 'raw.customers', alias: 'customers', rows: 2, schema: customerSchema,
  sample: [{ customer_id: 1, name: 'Ada' }, { customer_id: 2, name: 'Grace' }],
};
const enriched: DatasetInfo = {
  key: 'silver.enriched', alias: 'out', rows: 7, schema: enrichedSchema,
  sample: [1, 2, 3, 4, 5].map((i) => ({ order_id: i, name: i % 2 ? 'Grace' : 'Ada', amount: `${i * 10.5}` })),
};
const enrichDiff: SchemaDiff = {
  added: [{ name: 'name', type: 'VARCHAR' }],
  removed: [{ name: 'customer_id', type: 'INTEGER' }],
  changed: [{ name: 'amount', from: 'DOUBLE', to: 'DECIMAL(10,2)' }],
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-tracker-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readRecord(stateDir: string, runId: string): Promise<RunRecord> {
  return JSON.parse(await readFile(path.join(stateDir, 'runs', `${runId}.json`), 'utf8')) as RunRecord;
}

/** A clock that advances one second per event, so timestamps are predictable. */
function clock(start = Date.parse('2024-06-01T08:00:00.000Z')) {
  let t = start - 1000;
  return () => new Date((t += 1000));
}
const at = (seconds: number) => new Date(Date.parse('2024-06-01T08:00:00.000Z') + seconds * 1000).toISOString();

describe('Tracker', () => {
  it('records a realistic run and saves it at start and end', async () => {
    const runId = '20240601T080000Z-abc123';
    const plan = createPlan(salesPipeline, { skip: ['load_products'] });
    const store = new RunStore(dir);
    const tracker = new Tracker(plan, runId, { store, runOptions: { workers: 2, skip: ['load_products'] } });
    const bus = new EventBus(runId, { now: clock() });
    tracker.attach(bus);

    // Before anything: every step pending, including the deselected one.
    expect(Object.values(tracker.record.steps).map((s) => s.status)).toEqual(['pending', 'pending', 'pending', 'pending', 'pending']);

    bus.emit({ type: 'run_start', pipeline: 'sales', configFile: '/proj/sales.json', steps: plan.steps.map((s) => s.step.name), levels: plan.levels.map((l) => [...l]), workers: 2 }); // t=0
    await tracker.saved();
    const file = path.join(dir, 'runs', `${runId}.json`);
    expect(store.pathOf(runId)).toBe(file);
    await access(file);
    const early = await readRecord(dir, runId);
    expect(early.status).toBe('running');
    expect(early.runId).toBe(runId);
    expect(early.startedAt).toBe(at(0));
    expect(early.endedAt).toBeUndefined();
    expect(early.steps.enrich.status).toBe('pending');

    bus.emit({ type: 'step_skipped', step: 'load_products', layer: 'ingest', reason: 'deselected', detail: 'not selected by --only/--skip' }); // 1
    bus.emit({ type: 'step_start', step: 'load_orders', layer: 'ingest', attempt: 1 }); // 2
    bus.emit({ type: 'step_start', step: 'load_customers', layer: 'ingest', attempt: 1 }); // 3
    bus.emit({ type: 'step_log', step: 'load_orders', message: 'read 7 rows from orders.csv' }); // 4
    bus.emit({ type: 'step_success', step: 'load_orders', layer: 'ingest', attempt: 1, durationMs: 12.6, rowsIn: 0, rowsOut: 7, inputs: [], outputs: [orders], writes: [] }); // 5
    bus.emit({ type: 'step_success', step: 'load_customers', layer: 'ingest', attempt: 1, durationMs: 3.2, rowsIn: 0, rowsOut: 2, inputs: [], outputs: [customers], writes: [] }); // 6
    bus.emit({ type: 'step_start', step: 'enrich', layer: 'transform', attempt: 1 }); // 7
    bus.emit({ type: 'step_retry', step: 'enrich', layer: 'transform', attempt: 1, error: { name: 'StepError', message: 'lock timeout' }, delayMs: 1000 }); // 8
    bus.emit({ type: 'step_start', step: 'enrich', layer: 'transform', attempt: 2 }); // 9
    bus.emit({
      type: 'step_success', step: 'enrich', layer: 'transform', attempt: 2, durationMs: 40.4, rowsIn: 9, rowsOut: 7,
      inputs: [{ ...orders, alias: 'o', sample: undefined }, { ...customers, alias: 'c', sample: undefined }], outputs: [enriched], schemaDiff: enrichDiff, writes: [],
    }); // 10
    bus.emit({ type: 'step_start', step: 'export', layer: 'publish', attempt: 1 }); // 11
    bus.emit({
      type: 'step_success', step: 'export', layer: 'publish', attempt: 1, durationMs: 5, rowsIn: 7, rowsOut: 7,
      inputs: [{ ...enriched, alias: 'e', sample: undefined }], outputs: [], writes: ['/proj/out/enriched.csv'],
    }); // 12

    // Mid-run the file still says running (only start and end are saved).
    await tracker.saved();
    expect((await readRecord(dir, runId)).status).toBe('running');

    bus.emit({ type: 'run_end', status: 'success', durationMs: 12_000, succeeded: 4, failed: 0, skipped: 1, committed: ['/proj/out/enriched.csv'] }); // 13
    await bus.flush();
    await tracker.saved();

    const r = await readRecord(dir, runId);
    expect(r).toEqual(JSON.parse(JSON.stringify(tracker.record)));
    expect(r).toMatchObject({
      version: 1, runId, pipeline: 'sales', configFile: '/proj/sales.json', status: 'success',
      startedAt: at(0), endedAt: at(13), durationMs: 12_000, committed: ['/proj/out/enriched.csv'],
      options: { workers: 2, skip: ['load_products'] },
      levels: [['load_orders', 'load_customers'], ['enrich'], ['export']],
    });
    expect(r.error).toBeUndefined();

    // Per-step status and attempts.
    expect(Object.fromEntries(Object.values(r.steps).map((s) => [s.name, [s.status, s.attempts]]))).toEqual({
      load_orders: ['success', 1],
      load_customers: ['success', 1],
      load_products: ['skipped', 0],
      enrich: ['success', 2],
      export: ['success', 1],
    });
    expect(r.steps.load_products).toMatchObject({ layer: 'ingest', skipReason: 'deselected', skipDetail: 'not selected by --only/--skip' });

    // Timing: first start kept across retries; durations rounded.
    expect(r.steps.enrich).toMatchObject({ startedAt: at(7), endedAt: at(10), durationMs: 40 });
    expect(r.steps.load_orders).toMatchObject({ startedAt: at(2), endedAt: at(5), durationMs: 13 });
    expect(r.steps.enrich.retries).toEqual([{ name: 'StepError', message: 'lock timeout' }]);

    // Rows, schema, sample, schema diff.
    expect(r.steps.load_orders).toMatchObject({ rowsIn: 0, rowsOut: 7, schema: orderSchema });
    expect(r.steps.enrich).toMatchObject({ rowsIn: 9, rowsOut: 7, schema: enrichedSchema, schemaDiff: enrichDiff });
    expect(r.steps.enrich.sample).toEqual(enriched.sample);
    for (const s of Object.values(r.steps)) expect((s.sample ?? []).length).toBeLessThanOrEqual(5);
    expect(r.steps.load_orders.sample).toHaveLength(5);
    expect(r.steps.enrich.outputs?.map((o) => o.key)).toEqual(['silver.enriched']);
    expect(r.steps.enrich.inputs?.map((o) => o.key)).toEqual(['raw.orders', 'raw.customers']);
    // A step without outputs shows the schema of what it read.
    expect(r.steps.export).toMatchObject({ rowsIn: 7, rowsOut: 7, schema: enrichedSchema, writes: ['/proj/out/enriched.csv'] });
    expect(r.steps.export.sample).toBeUndefined();

    expect(r.steps.load_orders.logs).toEqual(['read 7 rows from orders.csv']);
    expect(r.steps.enrich.logs).toEqual([]);

    // Lineage: dataset key → producer → consumers.
    expect(r.lineage).toEqual({
      'raw.orders': { producer: 'load_orders', consumers: ['enrich'] },
      'raw.customers': { producer: 'load_customers', consumers: ['enrich'] },
      'raw.products': { producer: 'load_products', consumers: [] },
      'silver.enriched': { producer: 'enrich', consumers: ['export'] },
    });

    // The store finds it.
    expect((await store.get(runId)).status).toBe('success');
    expect((await store.list()).map((x) => x.runId)).toEqual([runId]);
  });

  it('records a failed run driven by the executor (errors, upstream_failed skips, final status)', async () => {
    const runId = '20240601T090000Z-fail01';
    const plan = createPlan(salesPipeline);
    const store = new RunStore(dir);
    const tracker = new Tracker(plan, runId, { store });
    const bus = new EventBus(runId);
    tracker.attach(bus);

    const runner: StepRunner = {
      async run(planned, attempt) {
        const name = planned.step.name;
        if (name === 'enrich') throw new Error(`Binder Error: column "nme" not found (attempt ${attempt})`);
        const out = name === 'load_orders' ? orders : name === 'load_customers' ? customers : undefined;
        return { rowsIn: 0, rowsOut: out?.rows ?? 0, inputs: [], outputs: out ? [out] : [], staged: [] };
      },
    };

    const sawRunning: string[] = [];
    bus.onType('step_start', async () => {
      // The file saved at run_start is already there while steps run.
      await tracker.saved();
      sawRunning.push((await readRecord(dir, runId)).status);
    });

    const summary = await execute(plan, runner, bus, { workers: 2, keepGoing: true, sleep: async () => {} });
    await tracker.saved();
    expect(summary.status).toBe('failed');
    expect(sawRunning.length).toBeGreaterThan(0);
    expect(new Set(sawRunning)).toEqual(new Set(['running']));

    const r = await readRecord(dir, runId);
    expect(r.status).toBe('failed');
    expect(r.endedAt).toBeDefined();
    expect(typeof r.durationMs).toBe('number');
    expect(r.steps.enrich).toMatchObject({ status: 'failed', attempts: 2, error: { name: 'Error', message: 'Binder Error: column "nme" not found (attempt 2)' } });
    expect(r.steps.enrich.retries).toHaveLength(1);
    expect(r.steps.export).toMatchObject({ status: 'skipped', skipReason: 'upstream_failed', attempts: 0 });
    expect(r.steps.export.skipDetail).toContain("'enrich'");
    expect(r.steps.load_products).toMatchObject({ status: 'success', rowsOut: 0 });
    expect(r.steps.load_orders).toMatchObject({ status: 'success', rowsOut: 7, schema: orderSchema, sample: orders.sample });
  });

  it('saves nothing without a store, but still keeps the record in memory', async () => {
    const plan = createPlan(salesPipeline);
    const tracker = new Tracker(plan, 'mem-run');
    const bus = new EventBus('mem-run');
    tracker.attach(bus);
    bus.emit({ type: 'run_start', pipeline: 'sales', configFile: '/proj/sales.json', steps: [], levels: [], workers: 1 });
    bus.emit({ type: 'run_end', status: 'success', durationMs: 1, succeeded: 0, failed: 0, skipped: 0, committed: [] });
    await bus.flush();
    await tracker.saved();
    expect(tracker.record.status).toBe('success');
    await expect(access(path.join(dir, 'runs'))).rejects.toThrow();
  });

  it('stores redacted text when the bus has a redactor', async () => {
    const { Redactor } = await import('../config/env.js');
    const runId = 'redact-run';
    const plan = createPlan(salesPipeline);
    const tracker = new Tracker(plan, runId, { store: new RunStore(dir) });
    const bus = new EventBus(runId, { redactor: new Redactor(['hunter2']) });
    tracker.attach(bus);
    bus.emit({ type: 'run_start', pipeline: 'sales', configFile: '/proj/sales.json', steps: [], levels: [], workers: 1 });
    bus.emit({ type: 'step_start', step: 'load_orders', layer: 'ingest', attempt: 1 });
    bus.emit({ type: 'step_error', step: 'load_orders', layer: 'ingest', attempt: 1, durationMs: 1, error: { name: 'Error', message: 'auth failed for hunter2' } });
    bus.emit({ type: 'run_end', status: 'failed', durationMs: 2, succeeded: 0, failed: 1, skipped: 0, committed: [] });
    await bus.flush();
    await tracker.saved();
    const text = await readFile(path.join(dir, 'runs', `${runId}.json`), 'utf8');
    expect(text).not.toContain('hunter2');
    expect((JSON.parse(text) as RunRecord).steps.load_orders.error?.message).toBe('auth failed for ***');
  });
});

describe('RunStore', () => {
  function record(runId: string, startedAt: string, status: RunRecord['status'] = 'success'): RunRecord {
    return { version: 1, runId, pipeline: 'sales', configFile: '/proj/sales.json', status, startedAt, options: {}, levels: [], steps: {}, lineage: {}, committed: [] };
  }

  it('returns an empty list when no run was saved', async () => {
    expect(await new RunStore(path.join(dir, 'nothing-here')).list()).toEqual([]);
  });

  it('lists runs newest first and skips unreadable files', async () => {
    const store = new RunStore(dir);
    await store.save(record('20240101T000000Z-aaaaaa', '2024-01-01T00:00:00.000Z'));
    await store.save(record('20240301T000000Z-cccccc', '2024-03-01T00:00:00.000Z', 'failed'));
    await store.save(record('20240201T000000Z-bbbbbb', '2024-02-01T00:00:00.000Z'));
    await writeFile(path.join(store.runsDir, 'broken.json'), '{ not json');
    await writeFile(path.join(store.runsDir, 'notes.txt'), 'hello');
    const ids = (await store.list()).map((r) => r.runId);
    expect(ids).toEqual(['20240301T000000Z-cccccc', '20240201T000000Z-bbbbbb', '20240101T000000Z-aaaaaa']);
  });

  it('breaks ties on startedAt by run id, newest id first', async () => {
    const store = new RunStore(dir);
    await store.save(record('20240101T000000Z-aaaaaa', '2024-01-01T00:00:00.000Z'));
    await store.save(record('20240101T000000Z-zzzzzz', '2024-01-01T00:00:00.000Z'));
    expect((await store.list()).map((r) => r.runId)).toEqual(['20240101T000000Z-zzzzzz', '20240101T000000Z-aaaaaa']);
  });

  it('saves atomically to <stateDir>/runs/<runId>.json, overwriting the previous version', async () => {
    const store = new RunStore(dir);
    await store.save(record('run-x', '2024-01-01T00:00:00.000Z', 'running'));
    await store.save(record('run-x', '2024-01-01T00:00:00.000Z', 'success'));
    const text = await readFile(path.join(dir, 'runs', 'run-x.json'), 'utf8');
    expect(JSON.parse(text).status).toBe('success');
    expect(text.endsWith('\n')).toBe(true);
    expect(await store.list()).toHaveLength(1);
  });

  describe('get', () => {
    let store: RunStore;
    beforeEach(async () => {
      store = new RunStore(dir);
      await store.save(record('20240101T000000Z-abc111', '2024-01-01T00:00:00.000Z'));
      await store.save(record('20240101T000000Z-abc222', '2024-01-01T00:00:01.000Z'));
      await store.save(record('20240301T120000Z-xyz999', '2024-03-01T12:00:00.000Z'));
      await store.save(record('short', '2023-01-01T00:00:00.000Z'));
      await store.save(record('shorter', '2023-01-01T00:00:00.000Z'));
    });

    it('finds a run by exact id', async () => {
      expect((await store.get('20240101T000000Z-abc111')).runId).toBe('20240101T000000Z-abc111');
    });

    it('prefers an exact id over a longer id it is a prefix of', async () => {
      expect((await store.get('short')).runId).toBe('short');
    });

    it('finds a run by unique prefix', async () => {
      expect((await store.get('20240301')).runId).toBe('20240301T120000Z-xyz999');
      expect((await store.get('20240101T000000Z-abc2')).runId).toBe('20240101T000000Z-abc222');
    });

    it('returns the newest run for "latest"', async () => {
      expect((await store.get('latest')).runId).toBe('20240301T120000Z-xyz999');
    });

    it('throws an OdibiError with a hint for an ambiguous prefix', async () => {
      const err = await store.get('20240101').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OdibiError);
      expect((err as OdibiError).message).toMatch(/ambiguous/);
      expect((err as OdibiError).message).toContain('2 runs');
      expect((err as OdibiError).hint).toBeTruthy();
    });

    it('throws an OdibiError with a hint for an unknown id', async () => {
      const err = await store.get('nope-123').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OdibiError);
      expect((err as OdibiError).message).toContain("no run 'nope-123'");
      expect((err as OdibiError).message).toContain(store.runsDir);
      expect((err as OdibiError).hint).toMatch(/odibi runs|latest/);
    });
  });

  it('throws an OdibiError with a hint for "latest" when there are no runs', async () => {
    const store = new RunStore(dir);
    await mkdir(store.runsDir, { recursive: true });
    const err = await store.get('latest').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OdibiError);
    expect((err as OdibiError).hint).toMatch(/run a pipeline first|--state-dir/);
  });
});

describe('newRunId', () => {
  it('is a sortable UTC timestamp plus a random suffix', () => {
    const id = newRunId(new Date('2024-06-01T08:09:10.123Z'));
    expect(id).toMatch(/^20240601T080910Z-[0-9a-z]{1,6}$/);
    expect(newRunId(new Date('2024-06-01T08:09:10Z')) < newRunId(new Date('2024-06-01T08:09:11Z'))).toBe(true);
  });
});
