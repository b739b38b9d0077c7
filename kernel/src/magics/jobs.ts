/**
 * `%stream` and `%schedule`: streams and schedules running in the kernel's background while the
 * notebook goes on. Each shows a live status display in the cell that started it (updated with
 * update_display_data on every batch or run); `status` shows it again, `stop` ends it. They call
 * the core exactly as `odibi stream` and `odibi schedule` do.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage, scheduleFromFlags, Scheduler, startStream, streamFromFlags, type StreamFlags, type ScheduleEvent, type StreamEvent, type StreamHandle } from '@odibi/core';
import { jobsBundle, type JobRow } from '../display/job-status.js';
import type { MimeBundle, OutputSink } from '../protocol/handler.js';

export class JobError extends Error {
  constructor(readonly magic: string, message: string, readonly hint?: string) {
    super(message);
  }
}

interface Job {
  kind: 'stream' | 'schedule';
  config: string;
  row: () => JobRow;
  stop: () => Promise<unknown>;
  sink: OutputSink;
  displayId: string;
  done: Promise<unknown>;
  /** Ended by itself (max runs, until idle, a failure): its status stays until replaced or stopped. */
  finished: boolean;
}

let seq = 0;

export class BackgroundJobs {
  readonly #jobs = new Map<string, Job>();

  constructor(private readonly baseDir: string) {}

  async stream(args: string[], sink: OutputSink): Promise<MimeBundle | undefined> {
    const { action, config, values } = this.#parse('stream', args, {
      'state-dir': { type: 'string' }, 'trigger-interval': { type: 'string' }, 'max-batches': { type: 'string' }, 'until-idle': { type: 'string' },
    });
    if (action !== 'start') return this.#control('stream', action, config);
    const key = this.#key('stream', config!);
    if (this.#jobs.get(key)?.finished === false) throw new JobError('stream', `a stream of ${path.basename(config!)} is already running in this kernel`, `stop it first: %stream stop ${path.relative(this.baseDir, config!)}`);
    const row: JobRow = { kind: 'stream', name: path.basename(config!), state: 'starting', detail: '' };
    let batches = 0;
    let last = '';
    const displayId = `odibi-stream-${++seq}`;
    let handle: StreamHandle;
    const update = () => sink.updateDisplay(this.#bundle(key), {}, displayId);
    try {
      handle = await startStream(config!, {
        ...streamFlags({
          stateDir: values['state-dir'] as string | undefined, triggerInterval: values['trigger-interval'] as string | undefined,
          maxBatches: values['max-batches'] as string | undefined, untilIdle: values['until-idle'] as string | undefined,
        }),
        onEvent: (e: StreamEvent) => {
          if (e.type === 'stream_start') {
            row.name = e.stream;
            const endpoints = e.sources.filter((s) => s.endpoint).map((s) => `${s.step}: POST ${s.endpoint}`);
            row.detail = [e.sources.map((s) => `${s.step} (${s.mode})`).join(', '), ...endpoints].join('; ');
            row.state = 'waiting';
          } else if (e.type === 'batch_start') {
            row.state = `running batch ${e.batchId}`;
          } else if (e.type === 'batch_end') {
            if (e.status === 'success') {
              batches++;
              last = `batch ${e.batchId}: ${e.rowsIn.toLocaleString('en-US')} rows in → ${e.rowsOut.toLocaleString('en-US')} written, ${Math.round(e.durationMs)} ms${e.lagMs === undefined ? '' : `, lag ${Math.round(e.lagMs)} ms`}`;
            } else {
              last = `batch ${e.batchId} failed: ${e.error?.message.split('\n')[0] ?? ''}`;
            }
            row.state = 'waiting';
          } else if (e.type === 'stream_end') {
            row.state = e.reason === 'failed' ? `failed: ${e.error?.message.split('\n')[0] ?? ''}` : `stopped (${e.reason.replace('_', ' ')})`;
          } else if (e.type === 'stream_waiting') {
            row.state = 'waiting for input';
          }
          row.runs = batches;
          row.last = last;
          if (this.#jobs.has(key)) update();
        },
      });
    } catch (err) {
      throw new JobError('stream', errorMessage(err));
    }
    const job: Job = { kind: 'stream', config: config!, row: () => row, stop: () => handle.stop(), sink, displayId, done: handle.done, finished: false };
    this.#jobs.set(key, job);
    void handle.done.then(() => {
      job.finished = true;
      update();
    });
    sink.display(this.#bundle(key), {}, displayId);
    return undefined;
  }

  async schedule(args: string[], sink: OutputSink): Promise<MimeBundle | undefined> {
    const { action, config, values } = this.#parse('schedule', args, {
      cron: { type: 'string' }, tz: { type: 'string' }, every: { type: 'string' }, 'on-file': { type: 'string' }, pattern: { type: 'string' },
      overlap: { type: 'string' }, missed: { type: 'string' }, 'max-runs': { type: 'string' }, 'state-dir': { type: 'string' },
    });
    if (action !== 'start') return this.#control('schedule', action, config);
    const key = this.#key('schedule', config!);
    if (this.#jobs.get(key)?.finished === false) throw new JobError('schedule', `${path.basename(config!)} is already scheduled in this kernel`, `stop it first: %schedule stop ${path.relative(this.baseDir, config!)}`);
    let schedule: ReturnType<typeof scheduleFromFlags>;
    try {
      schedule = scheduleFromFlags({
        cron: values.cron as string | undefined, tz: values.tz as string | undefined, every: values.every as string | undefined,
        onFile: values['on-file'] as string | undefined, pattern: values.pattern as string | undefined,
        overlap: values.overlap as string | undefined, missed: values.missed as string | undefined,
      }, this.baseDir);
    } catch (err) {
      throw new JobError('schedule', (err as Error).message, (err as { hint?: string }).hint);
    }
    const { trigger, overlap, missed } = schedule;
    const row: JobRow = { kind: 'schedule', name: path.basename(config!), state: 'starting', detail: '', runs: 0 };
    const displayId = `odibi-schedule-${++seq}`;
    const update = () => sink.updateDisplay(this.#bundle(key), {}, displayId);
    let failed = 0;
    const scheduler = new Scheduler(config!, {
      trigger, overlap, missed,
      maxRuns: num(values['max-runs'], 'schedule', '--max-runs'), stateDir: values['state-dir'] as string | undefined,
      onEvent: (e: ScheduleEvent) => {
        if (e.type === 'schedule_start') {
          row.name = e.pipeline;
          row.detail = `${e.trigger} (overlap ${e.overlap})`;
          row.state = 'waiting';
          row.next = e.next;
        } else if (e.type === 'schedule_fire') {
          row.state = `running (${e.reason})`;
        } else if (e.type === 'schedule_run_end') {
          row.runs = (row.runs ?? 0) + 1;
          if (e.status !== 'success') failed++;
          row.last = `run ${e.runId ?? ''} ${e.status} in ${Math.round(e.durationMs)} ms${failed ? ` (${failed} failed so far)` : ''}`;
          row.state = 'waiting';
          row.next = e.next;
        } else if (e.type === 'schedule_skip') {
          row.last = `skipped the run due ${e.scheduledFor}: the previous one was still going`;
        } else if (e.type === 'schedule_end') {
          row.state = `stopped${e.reason === 'max_runs' ? ' (max runs)' : ''}`;
          row.next = undefined;
        } else if (e.type === 'schedule_log') {
          row.last = `warning: ${e.message}`;
        }
        if (this.#jobs.has(key)) update();
      },
    });
    try {
      await scheduler.start();
    } catch (err) {
      throw new JobError('schedule', errorMessage(err));
    }
    const job: Job = { kind: 'schedule', config: config!, row: () => row, stop: () => scheduler.stop(), sink, displayId, done: scheduler.done, finished: false };
    this.#jobs.set(key, job);
    void scheduler.done.then(() => {
      job.finished = true;
    });
    sink.display(this.#bundle(key), {}, displayId);
    return undefined;
  }

  /** Stops everything (kernel shutdown). */
  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.#jobs.values()].map((j) => j.stop()));
  }

  async #control(kind: 'stream' | 'schedule', action: 'stop' | 'status', config?: string): Promise<MimeBundle> {
    const jobs = [...this.#jobs.entries()].filter(([, j]) => j.kind === kind && (!config || j.config === config));
    if (config && !jobs.length) {
      const running = [...this.#jobs.values()].filter((j) => j.kind === kind).map((j) => path.relative(this.baseDir, j.config));
      throw new JobError(kind, `no ${kind} of ${path.relative(this.baseDir, config) || config} in this kernel`, running.length ? `running: ${running.join(', ')}` : `start one with %${kind} start <config>`);
    }
    if (action === 'stop') {
      for (const [key, j] of jobs) {
        await j.stop();
        j.sink.updateDisplay(this.#bundle(key), {}, j.displayId);
        this.#jobs.delete(key);
      }
      return jobs.length ? jobsBundle(jobs.map(([, j]) => j.row())) : { 'text/plain': `no ${kind} is running` };
    }
    return jobs.length ? jobsBundle(jobs.map(([, j]) => j.row())) : { 'text/plain': `no ${kind} is running (start one with %${kind} start <config>)` };
  }

  #bundle(key: string): MimeBundle {
    const j = this.#jobs.get(key);
    return j ? jobsBundle([j.row()]) : { 'text/plain': '' };
  }

  #key(kind: string, config: string): string {
    return `${kind}:${config}`;
  }

  #parse(magic: 'stream' | 'schedule', args: string[], options: Record<string, { type: 'string' }>) {
    const usage = magic === 'stream' ? STREAM_USAGE : SCHEDULE_USAGE;
    let parsed: { values: Record<string, unknown>; positionals: string[] };
    try {
      parsed = parseArgs({ args, options, allowPositionals: true, strict: true }) as typeof parsed;
    } catch (err) {
      throw new JobError(magic, (err as Error).message.replace(/\. To specify a positional.*$/s, ''), `usage: ${usage.split('\n')[0]}`);
    }
    const [action, file, ...extra] = parsed.positionals;
    if (action !== 'start' && action !== 'stop' && action !== 'status') {
      throw new JobError(magic, action ? `unknown action '${action}'` : 'missing action', `usage: ${usage}`);
    }
    if (extra.length) throw new JobError(magic, `too many arguments (${extra.join(' ')})`, `usage: ${usage}`);
    if (action === 'start' && !file) throw new JobError(magic, 'missing argument <config>', `usage: ${usage.split('\n')[0]}`);
    return { action: action as 'start' | 'stop' | 'status', config: file ? path.resolve(this.baseDir, file) : undefined, values: parsed.values };
  }

}

export const STREAM_USAGE = '%stream start <config> [--trigger-interval DURATION] [--max-batches N] [--until-idle DURATION] [--state-dir DIR]   (durations: 30s, 500ms; a bare number is seconds for --until-idle, ms for --trigger-interval)\n%stream stop [<config>]\n%stream status [<config>]';
export const SCHEDULE_USAGE = '%schedule start <config> (--cron EXPR [--tz TZ] | --every DURATION | --on-file DIR [--pattern GLOB]) [--overlap skip|queue] [--missed skip|run-once] [--max-runs N]\n%schedule stop [<config>]\n%schedule status [<config>]';

function num(v: unknown, magic: string, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new JobError(magic, `${flag} must be a whole number ≥ 1, got '${String(v)}'`);
  return n;
}

/** `%stream` flags through the core's parser, the one `odibi stream` uses: the same units. */
function streamFlags(f: StreamFlags) {
  try {
    return streamFromFlags(f);
  } catch (err) {
    throw new JobError('stream', (err as Error).message, (err as { hint?: string }).hint);
  }
}
