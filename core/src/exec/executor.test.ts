import { describe, it, expect } from 'vitest';
import type { Layer, Pipeline, StepConfig } from '../config/model.js';
import { Redactor } from '../config/env.js';
import type { StagedAction } from '../engine/staging.js';
import { createPlan, type PlannedStep, type PlanOptions } from '../graph/plan.js';
import { EventBus } from './event-bus.js';
import type { DatasetInfo, EventOf, RunEvent, RunEventType } from './events.js';
import { execute, type ExecuteOptions, type RunSummary, type StepResult, type StepRunner } from './executor.js';
import { stepConfig, type StepSpec } from '../testing/step-config.js';

// ---------------------------------------------------------------------------------------------
// Pipeline builders
// ---------------------------------------------------------------------------------------------


function step(layer: Layer, name: string, spec: StepSpec = {}): StepConfig {
  return stepConfig(layer, name, { ...spec, file: '/proj/pipeline.json' });
}

function pipeline(steps: StepConfig[], name = 'test_pipeline'): Pipeline {
  return { name, file: '/proj/pipeline.json', baseDir: '/proj', steps, secrets: [] };
}

// ---------------------------------------------------------------------------------------------
// Fake runner: behaviour per step is scripted
// ---------------------------------------------------------------------------------------------

class FakeAction implements StagedAction {
  commits = 0;
  rollbacks = 0;
  constructor(readonly target: string, readonly journal: string[], readonly failCommit = false) {}
  async commit(): Promise<void> {
    this.journal.push(`commit:${this.target}`);
    if (this.failCommit) throw new Error(`disk full writing ${this.target}`);
    this.commits++;
  }
  async rollback(): Promise<void> {
    this.journal.push(`rollback:${this.target}`);
    this.rollbacks++;
  }
}

interface Script {
  /** Resolve after this many ms (real timer); undefined = resolve right away. */
  delayMs?: number;
  /** Throw on attempts 1..failAttempts. */
  failAttempts?: number;
  /** Error message used when failing (attempt number appended). */
  errorMessage?: string;
  /** Never settle. */
  hang?: boolean;
  /** Targets of staged actions returned on success. */
  staged?: string[];
  /** Targets whose commit throws. */
  failCommit?: string[];
  rowsIn?: number;
  rowsOut?: number;
  outputs?: DatasetInfo[];
  /** Called when the attempt starts (before waiting). */
  onStart?: (attempt: number) => void;
  /** Called right before the attempt throws. */
  onFail?: (attempt: number) => void;
}

class FakeRunner implements StepRunner {
  readonly calls: { step: string; attempt: number }[] = [];
  readonly log: string[] = [];
  readonly journal: string[] = [];
  readonly actions = new Map<string, FakeAction>();
  readonly signals = new Map<string, AbortSignal>();
  active = 0;
  maxActive = 0;
  /** Every set of steps seen running at the same time (as sorted, joined names). */
  readonly overlaps: string[][] = [];
  readonly #running = new Set<string>();

  constructor(readonly scripts: Record<string, Script> = {}) {}

  async run(planned: PlannedStep, attempt: number, signal: AbortSignal): Promise<StepResult> {
    const name = planned.step.name;
    const s = this.scripts[name] ?? {};
    this.calls.push({ step: name, attempt });
    this.signals.set(name, signal);
    this.log.push(`start:${name}`);
    this.active++;
    this.#running.add(name);
    this.maxActive = Math.max(this.maxActive, this.active);
    if (this.#running.size > 1) this.overlaps.push([...this.#running].sort());
    s.onStart?.(attempt);
    try {
      if (s.hang) await new Promise<never>(() => {});
      if (s.delayMs !== undefined) await new Promise((r) => setTimeout(r, s.delayMs));
      if (attempt <= (s.failAttempts ?? 0)) {
        s.onFail?.(attempt);
        throw new Error(`${s.errorMessage ?? `${name} failed`} (attempt ${attempt})`);
      }
      const staged = (s.staged ?? []).map((t) => {
        const a = new FakeAction(t, this.journal, (s.failCommit ?? []).includes(t));
        this.actions.set(t, a);
        return a;
      });
      this.log.push(`end:${name}`);
      return {
        rowsIn: s.rowsIn ?? 0,
        rowsOut: s.rowsOut ?? 0,
        inputs: [],
        outputs: s.outputs ?? [],
        staged,
      };
    } finally {
      this.active--;
      this.#running.delete(name);
    }
  }

  attemptsOf(name: string): number[] {
    return this.calls.filter((c) => c.step === name).map((c) => c.attempt);
  }
}

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

interface Harness {
  summary: RunSummary;
  events: RunEvent[];
  runner: FakeRunner;
  delays: number[];
  bus: EventBus;
}

async function run(
  p: Pipeline,
  scripts: Record<string, Script>,
  options: Partial<ExecuteOptions> & { plan?: PlanOptions; bus?: EventBus } = {},
): Promise<Harness> {
  const plan = createPlan(p, options.plan ?? {});
  const runner = new FakeRunner(scripts);
  const bus = options.bus ?? new EventBus('run-1');
  const events: RunEvent[] = [];
  bus.on((e) => {
    events.push(e);
  });
  const delays: number[] = [];
  const sleep = options.sleep ?? (async (ms: number) => {
    delays.push(ms);
  });
  const summary = await execute(plan, runner, bus, { workers: options.workers ?? 4, keepGoing: options.keepGoing, timeoutMs: options.timeoutMs, sleep });
  return { summary, events, runner, delays, bus };
}

function ofType<T extends RunEventType>(events: RunEvent[], type: T): EventOf<T>[] {
  return events.filter((e): e is EventOf<T> => e.type === type);
}

function forStep<T extends RunEventType>(events: RunEvent[], type: T, name: string): EventOf<T>[] {
  return ofType(events, type).filter((e) => 'step' in e && e.step === name);
}

function skipReasons(events: RunEvent[]): Record<string, string> {
  return Object.fromEntries(ofType(events, 'step_skipped').map((e) => [e.step, e.reason]));
}

function runEnd(events: RunEvent[]): EventOf<'run_end'> {
  const ends = ofType(events, 'run_end');
  expect(ends).toHaveLength(1);
  return ends[0];
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('execute: dependency order', () => {
  it('starts a step only after every upstream step succeeded', async () => {
    // src → left(slow) ┐
    //     → right(fast)┴→ join → out ; side depends_on left
    const p = pipeline([
      step('ingest', 'src', { outputs: { o: 'raw.src' } }),
      step('transform', 'left', { inputs: { s: 'raw.src' }, outputs: { o: 'silver.left' } }),
      step('transform', 'right', { inputs: { s: 'raw.src' }, outputs: { o: 'silver.right' } }),
      step('transform', 'join', { inputs: { l: 'silver.left', r: 'silver.right' }, outputs: { o: 'gold.join' } }),
      step('publish', 'out', { inputs: { j: 'gold.join' } }),
      step('publish', 'side', { dependsOn: ['left'] }),
    ]);
    const { summary, events, runner } = await run(p, {
      src: { delayMs: 2 },
      left: { delayMs: 15 },
      right: { delayMs: 1 },
      join: { delayMs: 1 },
    }, { workers: 4 });

    expect(summary.status).toBe('success');
    expect(new Set(summary.succeeded)).toEqual(new Set(['src', 'left', 'right', 'join', 'out', 'side']));

    const plan = createPlan(p);
    const index = (type: RunEventType, name: string) => events.findIndex((e) => e.type === type && 'step' in e && e.step === name);
    for (const ps of plan.steps) {
      const startAt = index('step_start', ps.step.name);
      expect(startAt).toBeGreaterThan(-1);
      for (const up of ps.upstream) {
        const upDone = index('step_success', up);
        expect(upDone, `${up} must succeed before ${ps.step.name} starts`).toBeGreaterThan(-1);
        expect(upDone, `${up} must succeed before ${ps.step.name} starts`).toBeLessThan(startAt);
      }
    }
    // The runner's own view agrees: join never starts before left and right have ended.
    const at = (entry: string) => runner.log.indexOf(entry);
    expect(at('start:join')).toBeGreaterThan(at('end:left'));
    expect(at('start:join')).toBeGreaterThan(at('end:right'));
    expect(at('start:side')).toBeGreaterThan(at('end:left'));
    expect(at('start:out')).toBeGreaterThan(at('end:join'));
  });

  it('does not start a dependent until a retried upstream step finally succeeds', async () => {
    const p = pipeline([
      step('ingest', 'flaky', { outputs: { o: 'raw.flaky' }, params: { retries: 2, retry_delay_ms: 10 } }),
      step('transform', 'child', { inputs: { f: 'raw.flaky' } }),
    ]);
    const { summary, runner } = await run(p, { flaky: { failAttempts: 2 } });
    expect(summary.status).toBe('success');
    expect(runner.calls).toEqual([
      { step: 'flaky', attempt: 1 },
      { step: 'flaky', attempt: 2 },
      { step: 'flaky', attempt: 3 },
      { step: 'child', attempt: 1 },
    ]);
  });
});

describe('execute: workers', () => {
  const independent = (n: number) => pipeline(Array.from({ length: n }, (_, i) => step('ingest', `s${i}`, { outputs: { o: `raw.s${i}` } })));
  const slow = (n: number, ms: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`s${i}`, { delayMs: ms }]));

  it('runs at most `workers` steps at once, and independent steps overlap', async () => {
    const { summary, runner } = await run(independent(6), slow(6, 5), { workers: 2 });
    expect(summary.status).toBe('success');
    expect(summary.succeeded).toHaveLength(6);
    expect(runner.maxActive).toBe(2);
    expect(runner.overlaps.length).toBeGreaterThan(0);
  });

  it('uses every worker when there is enough independent work', async () => {
    const { runner } = await run(independent(5), slow(5, 5), { workers: 3 });
    expect(runner.maxActive).toBe(3);
  });

  it('runs strictly one at a time with workers = 1', async () => {
    const { summary, runner } = await run(independent(4), slow(4, 1), { workers: 1 });
    expect(summary.status).toBe('success');
    expect(runner.maxActive).toBe(1);
    expect(runner.overlaps).toEqual([]);
    // Declaration order is kept for independent steps.
    expect(runner.calls.map((c) => c.step)).toEqual(['s0', 's1', 's2', 's3']);
  });

  it('treats workers < 1 as 1 instead of hanging', async () => {
    const { summary, runner, events } = await run(independent(3), {}, { workers: 0 });
    expect(summary.status).toBe('success');
    expect(runner.maxActive).toBe(1);
    expect(ofType(events, 'run_start')[0].workers).toBe(1);
  });
});

describe('execute: retries', () => {
  it('retries a failing step with exponential backoff and then succeeds', async () => {
    const p = pipeline([step('ingest', 'flaky', { outputs: { o: 'raw.flaky' }, params: { retries: 2, retry_delay_ms: 100 } })]);
    const { summary, events, runner, delays } = await run(p, { flaky: { failAttempts: 2, errorMessage: 'connection reset' } });

    expect(summary.status).toBe('success');
    expect(summary.succeeded).toEqual(['flaky']);
    expect(runner.attemptsOf('flaky')).toEqual([1, 2, 3]);
    expect(delays).toEqual([100, 200]);

    const retries = forStep(events, 'step_retry', 'flaky');
    expect(retries.map((r) => [r.attempt, r.delayMs])).toEqual([[1, 100], [2, 200]]);
    expect(retries[0].error).toMatchObject({ name: 'Error', message: 'connection reset (attempt 1)' });
    expect(retries[1].error.message).toBe('connection reset (attempt 2)');

    expect(forStep(events, 'step_start', 'flaky').map((e) => e.attempt)).toEqual([1, 2, 3]);
    const ok = forStep(events, 'step_success', 'flaky');
    expect(ok).toHaveLength(1);
    expect(ok[0].attempt).toBe(3);
    expect(forStep(events, 'step_error', 'flaky')).toEqual([]);

    // Order: start 1, retry 1, start 2, retry 2, start 3, success.
    expect(events.filter((e) => 'step' in e).map((e) => e.type)).toEqual([
      'step_start', 'step_retry', 'step_start', 'step_retry', 'step_start', 'step_success',
    ]);
  });

  it('reports step_error with attempt = retries + 1 when retries are exhausted', async () => {
    const p = pipeline([step('ingest', 'broken', { outputs: { o: 'raw.b' }, params: { retries: 2, retry_delay_ms: 50 } })]);
    const { summary, events, runner, delays } = await run(p, { broken: { failAttempts: 99, errorMessage: 'nope' } });

    expect(summary.status).toBe('failed');
    expect(summary.failed).toEqual(['broken']);
    expect(runner.attemptsOf('broken')).toEqual([1, 2, 3]);
    expect(delays).toEqual([50, 100]);
    expect(forStep(events, 'step_retry', 'broken')).toHaveLength(2);
    const errors = forStep(events, 'step_error', 'broken');
    expect(errors).toHaveLength(1);
    expect(errors[0].attempt).toBe(3);
    expect(errors[0].error.message).toBe('nope (attempt 3)');
    expect(errors[0].durationMs).toBeGreaterThanOrEqual(0);
    expect(runEnd(events)).toMatchObject({ status: 'failed', failed: 1, succeeded: 0 });
  });

  it('does not retry when params.retries is absent', async () => {
    const p = pipeline([step('ingest', 'once', { outputs: { o: 'raw.o' } })]);
    const { events, runner, delays } = await run(p, { once: { failAttempts: 1 } });
    expect(runner.attemptsOf('once')).toEqual([1]);
    expect(delays).toEqual([]);
    expect(ofType(events, 'step_retry')).toEqual([]);
    expect(forStep(events, 'step_error', 'once')[0].attempt).toBe(1);
  });

  it('accepts retries and retry_delay_ms given as strings (as CSV configs produce)', async () => {
    const p = pipeline([step('ingest', 'flaky', { outputs: { o: 'raw.f' }, params: { retries: '1', retry_delay_ms: '30' } })]);
    const { summary, delays } = await run(p, { flaky: { failAttempts: 1 } });
    expect(summary.status).toBe('success');
    expect(delays).toEqual([30]);
  });
});

describe('execute: timeouts', () => {
  it('fails a hanging step with StepTimeoutError after params.timeout_ms', async () => {
    const p = pipeline([step('ingest', 'stuck', { outputs: { o: 'raw.s' }, params: { timeout_ms: 20 } })]);
    const t0 = Date.now();
    const { summary, events, runner } = await run(p, { stuck: { hang: true } });
    expect(Date.now() - t0).toBeLessThan(2000);

    expect(summary.status).toBe('failed');
    expect(summary.failed).toEqual(['stuck']);
    const errors = forStep(events, 'step_error', 'stuck');
    expect(errors).toHaveLength(1);
    expect(errors[0].error.name).toBe('StepTimeoutError');
    expect(errors[0].error.message).toMatch(/timed out/);
    expect(errors[0].error.message).toContain('20');
    expect(errors[0].error.hint).toMatch(/timeout_ms/);
    // The runner is told to stop.
    expect(runner.signals.get('stuck')!.aborted).toBe(true);
  });

  it('applies the default timeoutMs option when the step sets none', async () => {
    const p = pipeline([step('ingest', 'stuck', { outputs: { o: 'raw.s' } })]);
    const { events } = await run(p, { stuck: { hang: true } }, { timeoutMs: 15 });
    expect(forStep(events, 'step_error', 'stuck')[0].error.name).toBe('StepTimeoutError');
  });

  it('retries after a timeout when retries are configured', async () => {
    const p = pipeline([step('ingest', 'slowpoke', { outputs: { o: 'raw.s' }, params: { timeout_ms: 15, retries: 1, retry_delay_ms: 5 } })]);
    const hangOnce: StepRunner = {
      run: (_planned, attempt) => (attempt === 1 ? new Promise<never>(() => {}) : Promise.resolve({ rowsIn: 0, rowsOut: 1, inputs: [], outputs: [], staged: [] })),
    };
    const bus = new EventBus('run-t');
    const seen: RunEvent[] = [];
    bus.on((e) => void seen.push(e));
    const recorded: number[] = [];
    const s2 = await execute(createPlan(p), hangOnce, bus, { workers: 1, sleep: async (ms) => void recorded.push(ms) });
    expect(s2.status).toBe('success');
    const retry = forStep(seen, 'step_retry', 'slowpoke');
    expect(retry).toHaveLength(1);
    expect(retry[0].error.name).toBe('StepTimeoutError');
    expect(recorded).toEqual([5]);
    expect(forStep(seen, 'step_success', 'slowpoke')[0].attempt).toBe(2);
  });

  it('does not time out a step that finishes in time', async () => {
    const p = pipeline([step('ingest', 'quick', { outputs: { o: 'raw.q' }, params: { timeout_ms: 1000 } })]);
    const { summary } = await run(p, { quick: { delayMs: 1 } });
    expect(summary.status).toBe('success');
  });
});

describe('execute: fail-fast (default)', () => {
  // first ─┬→ bad ──→ after
  //        └→ queued
  // slow (independent)
  const p = pipeline([
    step('ingest', 'first', { outputs: { o: 'raw.first' } }),
    step('ingest', 'slow', { outputs: { o: 'raw.slow' } }),
    step('transform', 'bad', { inputs: { f: 'raw.first' }, outputs: { o: 'silver.bad' } }),
    step('transform', 'queued', { inputs: { f: 'raw.first' }, outputs: { o: 'silver.queued' } }),
    step('publish', 'after', { inputs: { b: 'silver.bad' } }),
  ]);
  const scripts: Record<string, Script> = {
    first: { staged: ['/out/first.parquet'] },
    slow: { delayMs: 20, staged: ['/out/slow.parquet'] },
    bad: { failAttempts: 1, errorMessage: 'division by zero' },
  };

  it('starts no new step after a failure and skips the rest as run_aborted', async () => {
    const { summary, events, runner } = await run(p, scripts, { workers: 2 });

    // 'queued' was ready but only one worker was free, and 'bad' came first; once 'bad' failed
    // nothing new may start.
    expect(runner.calls.map((c) => c.step).sort()).toEqual(['bad', 'first', 'slow']);
    expect(forStep(events, 'step_start', 'queued')).toEqual([]);
    expect(forStep(events, 'step_start', 'after')).toEqual([]);

    // The step already running when the failure happened is allowed to finish.
    expect(forStep(events, 'step_success', 'slow')).toHaveLength(1);
    expect(summary.succeeded.sort()).toEqual(['first', 'slow']);
    expect(summary.failed).toEqual(['bad']);
    expect(summary.skipped.sort()).toEqual(['after', 'queued']);

    expect(skipReasons(events)).toEqual({ queued: 'run_aborted', after: 'run_aborted' });
    for (const e of ofType(events, 'step_skipped')) expect(e.detail).toContain("'bad'");

    expect(summary.status).toBe('failed');
    expect(runEnd(events)).toMatchObject({ status: 'failed', succeeded: 2, failed: 1, skipped: 2, committed: [] });
  });

  it('rolls back the staged outputs of steps that succeeded, and commits nothing', async () => {
    const { summary, runner } = await run(p, scripts, { workers: 2 });
    expect(summary.committed).toEqual([]);
    const first = runner.actions.get('/out/first.parquet')!;
    const slow = runner.actions.get('/out/slow.parquet')!;
    expect(first.rollbacks).toBe(1);
    expect(slow.rollbacks).toBe(1);
    expect(first.commits).toBe(0);
    expect(slow.commits).toBe(0);
    expect(runner.journal.filter((j) => j.startsWith('commit:'))).toEqual([]);
  });

  it('with workers = 1 skips every step after the failing one', async () => {
    const chain = pipeline([
      step('ingest', 'a', { outputs: { o: 'raw.a' } }),
      step('ingest', 'b', { outputs: { o: 'raw.b' } }),
      step('ingest', 'c', { outputs: { o: 'raw.c' } }),
      step('ingest', 'd', { outputs: { o: 'raw.d' } }),
    ]);
    const { summary, events, runner } = await run(chain, { a: { staged: ['/a'] }, b: { failAttempts: 1 } }, { workers: 1 });
    expect(runner.calls.map((c) => c.step)).toEqual(['a', 'b']);
    expect(skipReasons(events)).toEqual({ c: 'run_aborted', d: 'run_aborted' });
    expect(summary.status).toBe('failed');
    expect(runner.actions.get('/a')!.rollbacks).toBe(1);
    expect(runner.actions.get('/a')!.commits).toBe(0);
  });

  it('does not start another retry attempt of a running step once the run is aborted', async () => {
    // 'doomed' fails for good while 'retrying' waits out its backoff. After the backoff the run
    // is already aborted, so a fresh attempt must not start.
    const two = pipeline([
      step('ingest', 'retrying', { outputs: { o: 'raw.r' }, params: { retries: 3, retry_delay_ms: 10 } }),
      step('ingest', 'doomed', { outputs: { o: 'raw.d' } }),
    ]);
    let doomedFailed!: () => void;
    const doomedDone = new Promise<void>((r) => (doomedFailed = r));
    const { summary, events, runner } = await run(two, {
      retrying: { failAttempts: 99 },
      doomed: { delayMs: 1, failAttempts: 1, onFail: () => doomedFailed() },
    }, {
      workers: 2,
      // The backoff ends only after 'doomed' has failed and the executor has seen it.
      sleep: async () => {
        await doomedDone;
        await new Promise((r) => setTimeout(r, 5));
      },
    });
    expect(summary.status).toBe('failed');
    expect(forStep(events, 'step_error', 'doomed')).toHaveLength(1);
    expect(runner.attemptsOf('retrying')).toEqual([1]);
    expect(forStep(events, 'step_start', 'retrying').map((e) => e.attempt)).toEqual([1]);
  });
});

describe('execute: keepGoing', () => {
  // ok ──→ indep
  // bad ─→ child ─→ grandchild
  const p = pipeline([
    step('ingest', 'ok', { outputs: { o: 'raw.ok' } }),
    step('ingest', 'bad', { outputs: { o: 'raw.bad' } }),
    step('transform', 'child', { inputs: { b: 'raw.bad' }, outputs: { o: 'silver.child' } }),
    step('transform', 'indep', { inputs: { o: 'raw.ok' }, outputs: { o: 'silver.indep' } }),
    step('publish', 'grandchild', { inputs: { c: 'silver.child' } }),
  ]);
  const scripts: Record<string, Script> = {
    ok: { delayMs: 2, staged: ['/out/ok.csv'] },
    bad: { failAttempts: 1 },
    indep: { delayMs: 5, staged: ['/out/indep.csv'] },
  };

  it('completes the independent branch and skips dependents of the failed step', async () => {
    const { summary, events, runner } = await run(p, scripts, { workers: 2, keepGoing: true });

    expect(summary.succeeded.sort()).toEqual(['indep', 'ok']);
    expect(summary.failed).toEqual(['bad']);
    expect(summary.skipped.sort()).toEqual(['child', 'grandchild']);
    expect(skipReasons(events)).toEqual({ child: 'upstream_failed', grandchild: 'upstream_failed' });
    expect(forStep(events, 'step_skipped', 'child')[0].detail).toContain("'bad'");
    expect(runner.calls.map((c) => c.step)).not.toContain('child');
    expect(runner.calls.map((c) => c.step)).not.toContain('grandchild');
    expect(summary.status).toBe('failed');
    expect(runEnd(events)).toMatchObject({ status: 'failed', succeeded: 2, failed: 1, skipped: 2 });
  });

  it('commits the staged outputs of the steps that succeeded', async () => {
    const { summary, events, runner } = await run(p, scripts, { workers: 2, keepGoing: true });
    expect(summary.committed.sort()).toEqual(['/out/indep.csv', '/out/ok.csv']);
    expect(runEnd(events).committed.sort()).toEqual(['/out/indep.csv', '/out/ok.csv']);
    for (const t of ['/out/ok.csv', '/out/indep.csv']) {
      expect(runner.actions.get(t)!.commits).toBe(1);
      expect(runner.actions.get(t)!.rollbacks).toBe(0);
    }
  });

  it('keeps going after the failed step even with a single worker', async () => {
    const { summary, runner } = await run(p, scripts, { workers: 1, keepGoing: true });
    expect(runner.calls.map((c) => c.step)).toEqual(['ok', 'bad', 'indep']);
    expect(summary.succeeded).toEqual(['ok', 'indep']);
  });
});

describe('execute: commit', () => {
  it('commits every staged output in a successful run, in completion order', async () => {
    const p = pipeline([
      step('ingest', 'a', { outputs: { o: 'raw.a' } }),
      step('transform', 'b', { inputs: { a: 'raw.a' }, outputs: { o: 'silver.b' } }),
    ]);
    const { summary, events, runner } = await run(p, { a: { staged: ['/a1', '/a2'] }, b: { staged: ['/b'] } });
    expect(summary.status).toBe('success');
    expect(summary.committed).toEqual(['/a1', '/a2', '/b']);
    expect(runner.journal).toEqual(['commit:/a1', 'commit:/a2', 'commit:/b']);
    expect(forStep(events, 'step_success', 'a')[0].writes).toEqual(['/a1', '/a2']);
    expect(runEnd(events).committed).toEqual(['/a1', '/a2', '/b']);
  });

  it('fails the run with a CommitError when a commit throws, and rolls back what was not committed', async () => {
    const p = pipeline([
      step('ingest', 'a', { outputs: { o: 'raw.a' } }),
      step('transform', 'b', { inputs: { a: 'raw.a' }, outputs: { o: 'silver.b' } }),
      step('transform', 'c', { inputs: { b: 'silver.b' }, outputs: { o: 'silver.c' } }),
    ]);
    const { summary, events, runner } = await run(p, {
      a: { staged: ['/a'] },
      b: { staged: ['/b'], failCommit: ['/b'] },
      c: { staged: ['/c'] },
    });
    expect(summary.status).toBe('failed');
    const end = runEnd(events);
    expect(end.status).toBe('failed');
    expect(end.error?.name).toBe('CommitError');
    expect(end.error?.message).toContain('disk full');
    // '/c' was never committed: its temp output must be cleaned up (rolled back), not left behind.
    expect(runner.actions.get('/c')!.commits).toBe(0);
    expect(runner.actions.get('/c')!.rollbacks).toBe(1);
  });

  it('reports the outputs that did get committed before a commit failure', async () => {
    const p = pipeline([
      step('ingest', 'a', { outputs: { o: 'raw.a' } }),
      step('transform', 'b', { inputs: { a: 'raw.a' }, outputs: { o: 'silver.b' } }),
    ]);
    const { summary, events, runner } = await run(p, { a: { staged: ['/a'] }, b: { staged: ['/b'], failCommit: ['/b'] } });
    // '/a' was renamed into place before '/b' failed, so it is visible: the run must say so.
    expect(runner.actions.get('/a')!.commits).toBe(1);
    expect(runEnd(events).committed).toEqual(['/a']);
    expect(summary.committed).toEqual(['/a']);
  });
});

describe('execute: --only / --skip', () => {
  const p = pipeline([
    step('ingest', 'a', { outputs: { o: 'raw.a' } }),
    step('transform', 'b', { inputs: { a: 'raw.a' }, outputs: { o: 'silver.b' } }),
    step('ingest', 'c', { outputs: { o: 'raw.c' } }),
    step('transform', 'd', { inputs: { c: 'raw.c' }, outputs: { o: 'silver.d' } }),
  ]);

  it('reports steps left out by --skip as deselected and never runs them', async () => {
    const { summary, events, runner } = await run(p, {}, { plan: { skip: ['c+'] } });
    expect(runner.calls.map((c) => c.step).sort()).toEqual(['a', 'b']);
    expect(skipReasons(events)).toEqual({ c: 'deselected', d: 'deselected' });
    for (const e of ofType(events, 'step_skipped')) expect(e.layer).toBe(e.step === 'c' ? 'ingest' : 'transform');
    expect(summary.status).toBe('success');
    expect(runEnd(events)).toMatchObject({ succeeded: 2, failed: 0, skipped: 2 });
    expect(ofType(events, 'run_start')[0].steps).toEqual(['a', 'b']);
  });

  it('reports steps outside --only as deselected', async () => {
    const { events, runner } = await run(p, {}, { plan: { only: ['+b'] } });
    expect(runner.calls.map((c) => c.step)).toEqual(['a', 'b']);
    expect(skipReasons(events)).toEqual({ c: 'deselected', d: 'deselected' });
  });
});

describe('execute: events', () => {
  it('begins with run_start, ends with run_end, and stamps every event with runId and an ISO time', async () => {
    const p = pipeline([
      step('ingest', 'a', { outputs: { o: 'raw.a' } }),
      step('transform', 'b', { inputs: { a: 'raw.a' }, outputs: { o: 'silver.b' }, params: { retries: 1, retry_delay_ms: 1 } }),
      step('ingest', 'x', { outputs: { o: 'raw.x' } }),
    ]);
    const { events } = await run(p, { b: { failAttempts: 1 } }, { plan: { skip: ['x'] } });

    expect(events[0].type).toBe('run_start');
    expect(events.at(-1)!.type).toBe('run_end');
    expect(ofType(events, 'run_start')).toHaveLength(1);
    expect(ofType(events, 'run_end')).toHaveLength(1);
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['run_start', 'step_skipped', 'step_start', 'step_retry', 'step_success', 'run_end']));
    for (const e of events) {
      expect(e.runId).toBe('run-1');
      expect(typeof e.timestamp).toBe('string');
      expect(e.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(new Date(e.timestamp).toISOString()).toBe(e.timestamp);
    }
    const start = ofType(events, 'run_start')[0];
    expect(start).toMatchObject({ pipeline: 'test_pipeline', configFile: '/proj/pipeline.json', steps: ['a', 'b'], levels: [['a'], ['b']], workers: 4 });
  });

  it('carries rows, outputs and layer in step_success', async () => {
    const p = pipeline([step('ingest', 'a', { outputs: { o: 'raw.a' } })]);
    const outputs: DatasetInfo[] = [{ key: 'raw.a', alias: 'o', rows: 3, schema: [{ name: 'id', type: 'INTEGER' }], sample: [{ id: 1 }, { id: 2 }, { id: 3 }] }];
    const { events } = await run(p, { a: { rowsIn: 0, rowsOut: 3, outputs } });
    const ok = forStep(events, 'step_success', 'a')[0];
    expect(ok).toMatchObject({ layer: 'ingest', attempt: 1, rowsIn: 0, rowsOut: 3, outputs, writes: [] });
    expect(ok.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('turns a throwing hook into a hook_error event and still succeeds', async () => {
    const bus = new EventBus('run-1');
    bus.on((e) => {
      if (e.type === 'step_start') throw new Error('progress bar exploded');
    });
    bus.on(async (e) => {
      if (e.type === 'step_success') throw new Error('async sink down');
    });
    const p = pipeline([step('ingest', 'a', { outputs: { o: 'raw.a' } }), step('ingest', 'b', { outputs: { o: 'raw.b' } })]);
    const { summary, events } = await run(p, { a: { staged: ['/a'] } }, { bus });

    expect(summary.status).toBe('success');
    expect(summary.committed).toEqual(['/a']);
    const hookErrors = ofType(events, 'hook_error');
    expect(hookErrors.length).toBe(4); // 2 × step_start + 2 × step_success
    expect(hookErrors.filter((e) => e.error.message.includes('progress bar exploded'))).toHaveLength(2);
    expect(hookErrors.filter((e) => e.error.message.includes('async sink down'))).toHaveLength(2);
    expect(hookErrors.every((e) => /a hook failed on step_(start|success)/.test(e.error.message))).toBe(true);
    for (const e of hookErrors) expect(e.runId).toBe('run-1');
    expect(runEnd(events).status).toBe('success');
  });
});

describe('EventBus', () => {
  it('redacts secrets from every emitted event', async () => {
    const bus = new EventBus('run-r', { redactor: new Redactor(['s3cret']) });
    const p = pipeline([
      step('ingest', 'leaky', { outputs: { o: 'raw.l' } }),
      step('ingest', 'fails', { outputs: { o: 'raw.f' } }),
    ], 'pipe_s3cret');
    const outputs: DatasetInfo[] = [{ key: 'raw.l', alias: 'o', rows: 1, schema: [{ name: 'token', type: 'VARCHAR' }], sample: [{ token: 'Bearer s3cret', n: 1 }] }];
    const { events } = await run(p, {
      leaky: { outputs, staged: ['/out/s3cret/file.csv'] },
      fails: { failAttempts: 1, errorMessage: 'login failed for password=s3cret' },
    }, { bus, keepGoing: true });
    bus.emit({ type: 'step_log', step: 'leaky', message: 'connecting with s3cret' });

    const text = JSON.stringify(events);
    expect(text).not.toContain('s3cret');
    expect(text).toContain('***');
    expect(ofType(events, 'run_start')[0].pipeline).toBe('pipe_***');
    expect(forStep(events, 'step_error', 'fails')[0].error.message).toBe('login failed for password=*** (attempt 1)');
    expect(forStep(events, 'step_success', 'leaky')[0].outputs[0].sample).toEqual([{ token: 'Bearer ***', n: 1 }]);
    expect(forStep(events, 'step_success', 'leaky')[0].writes).toEqual(['/out/***/file.csv']);
    expect(forStep(events, 'step_log', 'leaky')[0].message).toBe('connecting with ***');
    expect(runEnd(events).committed).toEqual(['/out/***/file.csv']);
  });

  it('returns the redacted event from emit and keeps numbers intact', () => {
    const bus = new EventBus('r', { redactor: new Redactor(['s3cret']), now: () => new Date('2024-05-01T10:00:00.000Z') });
    const e = bus.emit({ type: 'step_log', step: 'x', message: 'a s3cret b s3cret' });
    expect(e).toEqual({ type: 'step_log', step: 'x', message: 'a *** b ***', runId: 'r', timestamp: '2024-05-01T10:00:00.000Z' });
  });

  it('delivers events in order, supports onType and unsubscribe', async () => {
    const bus = new EventBus('r');
    const all: string[] = [];
    const logs: string[] = [];
    const off = bus.on((e) => void all.push(e.type));
    bus.onType('step_log', (e) => void logs.push(e.message));
    bus.emit({ type: 'step_log', step: 'x', message: 'one' });
    bus.emit({ type: 'hook_error', error: { name: 'E', message: 'm' } });
    off();
    bus.emit({ type: 'step_log', step: 'x', message: 'two' });
    await bus.flush();
    expect(all).toEqual(['step_log', 'hook_error']);
    expect(logs).toEqual(['one', 'two']);
  });

  it('flush waits for async hooks', async () => {
    const bus = new EventBus('r');
    let done = false;
    bus.on(async () => {
      await new Promise((r) => setTimeout(r, 5));
      done = true;
    });
    bus.emit({ type: 'step_log', step: 'x', message: 'm' });
    expect(done).toBe(false);
    await bus.flush();
    expect(done).toBe(true);
  });

  it('does not loop when a hook also throws on hook_error', () => {
    const bus = new EventBus('r');
    const seen: string[] = [];
    bus.on((e) => {
      seen.push(e.type);
      throw new Error('always');
    });
    bus.emit({ type: 'step_log', step: 'x', message: 'm' });
    expect(seen).toEqual(['step_log', 'hook_error']);
  });
});
