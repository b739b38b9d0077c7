import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../shared/clock.js';
import { RunStore } from '../tracker/run-store.js';
import { Scheduler, type ScheduleEvent, type SchedulerOptions } from './scheduler.js';
import { missedSince, scheduleFromFlags, timedTrigger } from './trigger.js';

describe('triggers', () => {
  it('fires cron expressions in their timezone, across a DST change', () => {
    const t = timedTrigger({ kind: 'cron', expression: '0 9 * * *', timezone: 'Europe/Paris' });
    expect(new Date(t.next(Date.parse('2026-03-28T12:00:00Z'))).toISOString()).toBe('2026-03-29T07:00:00.000Z');
    expect(new Date(t.next(Date.parse('2026-03-27T12:00:00Z'))).toISOString()).toBe('2026-03-28T08:00:00.000Z');
    expect(t.describe()).toBe('cron "0 9 * * *" (Europe/Paris)');
  });

  it('keeps intervals on a fixed grid', () => {
    const t = timedTrigger({ kind: 'every', everyMs: 30_000 });
    expect(t.next(Date.parse('2026-01-01T00:00:10Z'))).toBe(Date.parse('2026-01-01T00:00:30Z'));
    expect(t.next(Date.parse('2026-01-01T00:00:30Z'))).toBe(Date.parse('2026-01-01T00:01:00Z'));
  });

  it('explains a bad cron expression or timezone', () => {
    expect(() => timedTrigger({ kind: 'cron', expression: '61 * * * *' })).toThrow("invalid cron expression '61 * * * *': Invalid value for minute: 61");
    expect(() => timedTrigger({ kind: 'cron', expression: '* * * * *', timezone: 'Mars/Base' })).toThrow("unknown timezone 'Mars/Base'");
  });

  it('reads the same flags for the CLI and the kernel', () => {
    expect(scheduleFromFlags({ every: '30s', overlap: 'queue', missed: 'run-once' })).toEqual({ trigger: { kind: 'every', everyMs: 30_000 }, overlap: 'queue', missed: 'run_once' });
    expect(scheduleFromFlags({ onFile: 'landing', pattern: '*.csv' }, '/nb').trigger).toEqual({ kind: 'file', dir: '/nb/landing', pattern: '*.csv' });
    expect(() => scheduleFromFlags({ cron: '* * * * *', every: '1m' })).toThrow('give one trigger, not --cron and --every');
    expect(() => scheduleFromFlags({ every: '1m', tz: 'UTC' })).toThrow('--tz goes with --cron');
    expect(() => scheduleFromFlags({ every: 'soon' })).toThrow("--every 'soon' is not a duration");
    expect(() => scheduleFromFlags({ every: '1m', overlap: 'wait' })).toThrow("--overlap is skip or queue, not 'wait'");
  });

  it('counts fire times missed during downtime', () => {
    const t = timedTrigger({ kind: 'every', everyMs: 600_000 });
    const last = Date.parse('2026-01-01T10:00:00Z');
    expect(missedSince(t, last, Date.parse('2026-01-01T10:59:00Z'))).toBe(5);
    expect(missedSince(t, last, Date.parse('2026-01-01T10:09:00Z'))).toBe(0);
  });
});

describe('Scheduler', () => {
  const dirs: string[] = [];
  const schedulers: Scheduler[] = [];
  afterEach(async () => {
    await Promise.all(schedulers.splice(0).map((s) => s.stop()));
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  /** A pipeline whose function step takes `delayMs` of real time, so runs can overlap. */
  async function project(delayMs = 0): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-sched-'));
    dirs.push(dir);
    await writeFile(path.join(dir, 'slow.mjs'), `export async function slow() { await new Promise((r) => setTimeout(r, ${delayMs})); return [{ n: 1 }]; }\n`);
    await writeFile(path.join(dir, 'pipeline.json'), JSON.stringify({ name: 'sched', steps: [
      { layer: 'ingest', name: 'tick', type: 'function', value: 'slow.mjs#slow', outputs: { data: 'tick' } },
      { layer: 'store', name: 'save', value: 'out', params: { mode: 'append' }, inputs: { data: 'tick' } },
    ] }));
    return dir;
  }

  function scheduler(dir: string, options: Omit<SchedulerOptions, 'clock' | 'onEvent'>, clock = new ManualClock(Date.parse('2026-01-01T00:00:05Z'))) {
    const events: ScheduleEvent[] = [];
    const s = new Scheduler(path.join(dir, 'pipeline.json'), { ...options, clock, onEvent: (e) => events.push(e) });
    schedulers.push(s);
    const ends = () => events.filter((e) => e.type === 'schedule_run_end').length;
    const runsEnded = async (n: number) => {
      for (let i = 0; i < 400 && ends() < n; i++) await new Promise((r) => setTimeout(r, 10));
      expect(ends()).toBe(n);
    };
    return { s, events, clock, runsEnded };
  }

  const settle = () => new Promise((r) => setTimeout(r, 30));

  it('runs on every interval tick, and records the trigger in the run record', async () => {
    const dir = await project();
    const { s, clock, runsEnded } = scheduler(dir, { trigger: { kind: 'every', everyMs: 10_000 } });
    await s.start();
    clock.advance(4000);
    await settle();
    expect(s.status().runs).toBe(0);
    clock.advance(1000);
    await runsEnded(1);
    await settle();
    clock.advance(10_000);
    await runsEnded(2);
    expect(await readdir(path.join(dir, 'out'))).toHaveLength(2);
    const runs = await new RunStore(path.join(dir, '.odibi')).list();
    expect(runs.map((r) => r.options.trigger)).toEqual(['every 10s', 'every 10s']);
  });

  it('stamps its events with the clock, and a display that throws becomes a hook_error while the runs go on', async () => {
    const dir = await project();
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:05Z'));
    const events: ScheduleEvent[] = [];
    const s = new Scheduler(path.join(dir, 'pipeline.json'), {
      trigger: { kind: 'every', everyMs: 1000 }, maxRuns: 1, clock,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'schedule_fire') throw new Error('the display broke');
      },
    });
    await s.start();
    clock.advance(1000);
    const summary = await s.done;
    expect(summary).toMatchObject({ runs: 1, failed: 0 });
    expect(events.find((e) => e.type === 'schedule_start')!.timestamp).toBe('2026-01-01T00:00:05.000Z');
    expect(events.find((e) => e.type === 'hook_error')).toMatchObject({ error: { message: 'a hook failed on schedule_fire: the display broke' } });
    expect(events.at(-1)!.type).toBe('schedule_end');
  });

  it('says, as a warning event, that it could not save its state, and goes on', async () => {
    const dir = await project();
    // The state file's folder is a file: every save fails.
    await writeFile(path.join(dir, '.odibi'), 'not a folder');
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:05Z'));
    const events: ScheduleEvent[] = [];
    const s = new Scheduler(path.join(dir, 'pipeline.json'), { trigger: { kind: 'every', everyMs: 1000 }, maxRuns: 1, clock, stateDir: path.join(dir, '.odibi/state'), onEvent: (e) => events.push(e) });
    await s.start();
    clock.advance(1000);
    await s.done;
    expect(events.find((e) => e.type === 'schedule_log')).toMatchObject({ level: 'warning', message: expect.stringMatching(/could not save .*state/) });
  });

  it('never starts a run while one is going: skips the fire, or queues one run', async () => {
    for (const overlap of ['skip', 'queue'] as const) {
      const dir = await project(400);
      const { s, events, clock, runsEnded } = scheduler(dir, { trigger: { kind: 'every', everyMs: 1000 }, overlap });
      await s.start();
      clock.advance(1000);
      await settle();
      clock.advance(1000);
      await settle();
      clock.advance(1000);
      await settle();
      await runsEnded(overlap === 'queue' ? 2 : 1);
      await s.stop();
      const kinds = events.map((e) => e.type).filter((t) => t !== 'schedule_start' && t !== 'schedule_end');
      expect(kinds).toEqual(overlap === 'skip'
        ? ['schedule_fire', 'schedule_skip', 'schedule_skip', 'schedule_run_end']
        : ['schedule_fire', 'schedule_queued', 'schedule_skip', 'schedule_run_end', 'schedule_fire', 'schedule_run_end']);
    }
  });

  it('after downtime, skips missed runs or makes them up with one run', async () => {
    for (const missed of ['skip', 'run_once'] as const) {
      const dir = await project();
      await mkdir(path.join(dir, '.odibi/schedules'), { recursive: true });
      await writeFile(path.join(dir, '.odibi/schedules/sched.json'), JSON.stringify({ lastFire: Date.parse('2025-12-31T23:00:00Z') }));
      const { s, events, runsEnded } = scheduler(dir, { trigger: { kind: 'every', everyMs: 600_000 }, missed });
      await s.start();
      expect(events.find((e) => e.type === 'schedule_missed')).toMatchObject({ count: 6, policy: missed });
      if (missed === 'run_once') {
        await runsEnded(1);
        expect(events.find((e) => e.type === 'schedule_fire')).toMatchObject({ reason: 'missed' });
        // Made up once: the next start does not count them again.
        await s.stop();
        const again = scheduler(dir, { trigger: { kind: 'every', everyMs: 600_000 }, missed });
        await again.s.start();
        expect(again.events.some((e) => e.type === 'schedule_missed')).toBe(false);
      } else {
        await settle();
        expect(events.some((e) => e.type === 'schedule_fire')).toBe(false);
      }
    }
  });

  it('runs when a file arrives, ignoring temporary names, and stops after --max-runs', async () => {
    const dir = await project();
    await mkdir(path.join(dir, 'landing'));
    const { s, events } = scheduler(dir, { trigger: { kind: 'file', dir: path.join(dir, 'landing'), pattern: '*.csv' }, maxRuns: 1 });
    await s.start();
    await writeFile(path.join(dir, 'landing/.part.csv.tmp'), 'x');
    await writeFile(path.join(dir, 'landing/notes.txt'), 'x');
    await settle();
    await writeFile(path.join(dir, 'landing/.a.csv.tmp'), 'id\n1\n');
    await rename(path.join(dir, 'landing/.a.csv.tmp'), path.join(dir, 'landing/a.csv'));
    expect(await s.done).toEqual({ runs: 1, failed: 0, reason: 'max_runs' });
    expect(events.find((e) => e.type === 'schedule_fire')).toMatchObject({ reason: 'file', file: path.join(dir, 'landing/a.csv') });
  });
});
