/**
 * Runs a pipeline on a trigger: cron (timezone aware), a fixed interval, or file arrival. A run is
 * never started while the previous one is still running: the fire is skipped, or (policy `queue`)
 * one run is queued behind it. After downtime, fire times missed while the scheduler was not
 * running are skipped or made up by one run at start (policy `run_once`). Each run is an ordinary
 * tracked run (its record says which trigger started it), so `odibi runs` lists them.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FSWatcher } from 'chokidar';
import picomatch from 'picomatch';
import { loadPipeline } from '../load/pipeline.js';
import type { Pipeline } from '../config/model.js';
import { errorMessage } from '../errors.js';
import type { ErrorInfo, Hook } from '../exec/events.js';
import { toErrorInfo } from '../exec/executor.js';
import { Bus } from '../exec/event-bus.js';
import { openStateDir, type StateDir } from '../state/state-dir.js';
import { defaultStateDir, runPipeline, type RunOptions } from '../run.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { missedSince, timedTrigger, TriggerError, type TimedTrigger, type TriggerSpec } from './trigger.js';

export type OverlapPolicy = 'skip' | 'queue';
export type MissedPolicy = 'skip' | 'run_once';
export type FireReason = 'cron' | 'interval' | 'file' | 'missed';

/** A scheduler's events before the bus stamps them with the time they were emitted. */
export type ScheduleEventDraft =
  | { type: 'schedule_start'; pipeline: string; trigger: string; overlap: OverlapPolicy; missed: MissedPolicy; next?: string }
  | { type: 'schedule_missed'; count: number; since: string; policy: MissedPolicy }
  | { type: 'schedule_fire'; reason: FireReason; scheduledFor: string; file?: string }
  | { type: 'schedule_skip'; reason: 'overlap'; scheduledFor: string }
  | { type: 'schedule_queued'; scheduledFor: string }
  | { type: 'schedule_run_end'; runId?: string; status: 'success' | 'failed'; durationMs: number; error?: ErrorInfo; next?: string }
  /** Something the scheduler could not do but goes on without (watching a folder, saving its state). */
  | { type: 'schedule_log'; level: 'warning'; message: string }
  /** A subscriber threw; the scheduler goes on. */
  | { type: 'hook_error'; error: ErrorInfo }
  | { type: 'schedule_end'; runs: number; reason: 'stopped' | 'max_runs' };
export type ScheduleEvent = ScheduleEventDraft & { /** ISO-8601 time the event was emitted. */ timestamp: string };

export interface SchedulerOptions extends Pick<RunOptions, 'workers' | 'keepGoing' | 'timeoutMs' | 'threads' | 'project' | 'vars' | 'profile'> {
  trigger: TriggerSpec;
  /** Default: skip for cron and interval, queue for files (a file arriving mid-run still gets a run). */
  overlap?: OverlapPolicy;
  /** Default: skip. */
  missed?: MissedPolicy;
  /** Stop after this many runs have finished. */
  maxRuns?: number;
  stateDir?: string;
  clock?: Clock;
  onEvent?: (event: ScheduleEvent) => void;
  /** Subscribers to every run's events. */
  hooks?: Hook[];
}

export interface ScheduleSummary {
  runs: number;
  failed: number;
  reason: 'stopped' | 'max_runs';
}

interface ScheduleState {
  /** The last fire time reached while the scheduler ran (ms since epoch). */
  lastFire?: number;
  lastRunId?: string;
}

const TEMPORARY = /(^|\/)\.|\.(tmp|temp|part|partial|crdownload|odibi-tmp)$|~$/i;

export class Scheduler {
  readonly #config: string | Pipeline;
  readonly #o: SchedulerOptions;
  readonly #clock: Clock;
  readonly #bus: Bus<ScheduleEvent, ScheduleEventDraft>;
  readonly #overlap: OverlapPolicy;
  readonly #timed?: TimedTrigger;
  #pipeline!: Pipeline;
  #stateFile = '';
  #stateRel = '';
  #stateDir?: StateDir;
  #state: ScheduleState = {};
  #watcher?: FSWatcher;
  #running?: Promise<void>;
  #queued?: { reason: FireReason; at: number; file?: string };
  #started = 0;
  #finished = 0;
  #failed = 0;
  #stopping = false;
  #stopReason: ScheduleSummary['reason'] = 'stopped';
  #sleep = new AbortController();
  #resolveDone!: (s: ScheduleSummary) => void;
  /** Resolves when the scheduler has stopped and its last run has finished. */
  readonly done = new Promise<ScheduleSummary>((r) => (this.#resolveDone = r));

  constructor(config: string | Pipeline, options: SchedulerOptions) {
    this.#config = config;
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    // A display that throws becomes a hook_error event and never stops the schedule.
    this.#bus = new Bus<ScheduleEvent, ScheduleEventDraft>((draft, timestamp) => ({ ...draft, timestamp }), (error) => ({ type: 'hook_error', error }), { now: () => new Date(this.#clock.now()) });
    if (options.onEvent) this.#bus.on(options.onEvent);
    this.#overlap = options.overlap ?? (options.trigger.kind === 'file' ? 'queue' : 'skip');
    if (options.trigger.kind !== 'file') this.#timed = timedTrigger(options.trigger);
  }

  describe(): string {
    const t = this.#o.trigger;
    return t.kind === 'file' ? `on file in ${t.dir}${t.pattern ? ` matching ${t.pattern}` : ''}` : this.#timed!.describe();
  }

  /** Validates the config, reads the schedule's state and starts waiting for the trigger. */
  async start(): Promise<void> {
    this.#pipeline = typeof this.#config === 'string' ? (await loadPipeline(this.#config, { project: this.#o.project, vars: this.#o.vars, profile: this.#o.profile })).pipeline : this.#config;
    this.#stateDir = await openStateDir(this.#o.stateDir ?? defaultStateDir(this.#pipeline));
    this.#stateRel = `schedules/${this.#pipeline.name.replace(/[^\w.-]/g, '_')}.json`;
    this.#stateFile = this.#stateDir.where(this.#stateRel);
    this.#state = await readState(this.#stateDir, this.#stateRel);
    // Watching starts before the start is announced: a file dropped after it is never missed.
    if (this.#o.trigger.kind === 'file') await this.#watch(this.#o.trigger);
    const now = this.#clock.now();
    this.#emit({
      type: 'schedule_start', pipeline: this.#pipeline.name, trigger: this.describe(), overlap: this.#overlap, missed: this.#o.missed ?? 'skip',
      ...(this.#timed ? { next: iso(this.#timed.next(now)) } : {}),
    });
    if (!this.#timed) return;
    const timed = this.#timed!;
    if (this.#state.lastFire !== undefined) {
      const count = missedSince(timed, this.#state.lastFire, now);
      if (count > 0) {
        const policy = this.#o.missed ?? 'skip';
        this.#emit({ type: 'schedule_missed', count, since: iso(this.#state.lastFire), policy });
        if (policy === 'run_once') this.#fire('missed', now);
        // Once reported (and made up), they are not missed again at the next start.
        this.#state.lastFire = now;
        await this.#saveState();
      }
    }
    void this.#tick(timed, now);
  }

  /** No new runs; resolves once the run in progress (if any) has finished. A queued run is dropped. */
  stop(): Promise<ScheduleSummary> {
    this.#stopping = true;
    this.#queued = undefined;
    this.#sleep.abort();
    void this.#watcher?.close();
    this.#maybeDone();
    return this.done;
  }

  status(): { running: boolean; queued: boolean; runs: number; failed: number; next?: string } {
    return {
      running: !!this.#running, queued: !!this.#queued, runs: this.#finished, failed: this.#failed,
      ...(this.#timed && !this.#stopping ? { next: iso(this.#timed.next(this.#clock.now())) } : {}),
    };
  }

  async #tick(timed: TimedTrigger, from: number): Promise<void> {
    let last = from;
    while (!this.#stopping) {
      const at = timed.next(last);
      this.#sleep = new AbortController();
      await this.#clock.sleep(Math.max(0, at - this.#clock.now()), this.#sleep.signal);
      if (this.#stopping) break;
      if (this.#clock.now() < at) continue;
      // After the machine slept through several fire times, fire once, not once per missed time.
      last = Math.max(at, this.#clock.now());
      this.#state.lastFire = at;
      await this.#saveState();
      this.#fire(this.#o.trigger.kind === 'cron' ? 'cron' : 'interval', at);
    }
  }

  async #watch(t: Extract<TriggerSpec, { kind: 'file' }>): Promise<void> {
    const dir = path.resolve(t.dir);
    if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) {
      throw new TriggerError(`the folder to watch does not exist: ${dir}`, { hint: 'create it, or fix --on-file' });
    }
    const match = t.pattern ? picomatch(t.pattern) : () => true;
    const { watch } = await import('chokidar');
    // A file written in place (not moved) triggers once its size has held for 100 ms.
    this.#watcher = watch(dir, { ignoreInitial: true, depth: t.pattern?.includes('/') ? undefined : 0, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 } });
    this.#watcher.on('error', (err) => this.#emit({ type: 'schedule_log', level: 'warning', message: `watching ${dir} failed: ${errorMessage(err)}` }));
    await new Promise<void>((resolve) => this.#watcher!.once('ready', () => resolve()));
    this.#watcher.on('add', (file: string) => {
      const rel = path.relative(dir, file).split(path.sep).join('/');
      if (TEMPORARY.test(rel) || !match(rel)) return;
      this.#fire('file', this.#clock.now(), file);
    });
  }

  #fire(reason: FireReason, at: number, file?: string): void {
    if (this.#stopping || this.#limitReached()) return;
    if (this.#running) {
      if (this.#overlap === 'queue' && !this.#queued) {
        this.#queued = { reason, at, file };
        this.#emit({ type: 'schedule_queued', scheduledFor: iso(at) });
      } else {
        // Skip policy, or a run is already queued: at most one waits behind the one in progress.
        this.#emit({ type: 'schedule_skip', reason: 'overlap', scheduledFor: iso(at) });
      }
      return;
    }
    this.#started++;
    this.#emit({ type: 'schedule_fire', reason, scheduledFor: iso(at), ...(file ? { file } : {}) });
    this.#running = this.#run(reason, file).finally(() => {
      this.#running = undefined;
      const q = this.#queued;
      this.#queued = undefined;
      if (q && !this.#stopping) this.#fire(q.reason, q.at, q.file);
      this.#maybeDone();
    });
  }

  async #run(reason: FireReason, file?: string): Promise<void> {
    const t0 = this.#clock.now();
    try {
      // The config is read again for every run, so an edited pipeline is picked up.
      const pipeline = typeof this.#config === 'string' ? (await loadPipeline(this.#config, { project: this.#o.project, vars: this.#o.vars, profile: this.#o.profile })).pipeline : this.#config;
      const result = await runPipeline(pipeline, {
        workers: this.#o.workers, keepGoing: this.#o.keepGoing, timeoutMs: this.#o.timeoutMs, threads: this.#o.threads,
        stateDir: this.#o.stateDir, hooks: this.#o.hooks, trigger: `${reason === 'missed' ? 'missed run of ' : ''}${this.describe()}${file ? ` (${path.basename(file)})` : ''}`,
      });
      if (result.status !== 'success') this.#failed++;
      this.#state.lastRunId = result.runId;
      await this.#saveState();
      this.#emit({ type: 'schedule_run_end', runId: result.runId, status: result.status, durationMs: this.#clock.now() - t0, ...this.#next() });
    } catch (err) {
      // A config that no longer loads fails this run; the schedule goes on.
      this.#failed++;
      this.#emit({ type: 'schedule_run_end', status: 'failed', durationMs: this.#clock.now() - t0, error: toErrorInfo(err), ...this.#next() });
    } finally {
      this.#finished++;
      if (this.#limitReached()) {
        this.#stopReason = 'max_runs';
        this.#stopping = true;
        this.#sleep.abort();
        void this.#watcher?.close();
      }
    }
  }

  #next(): { next?: string } {
    return this.#timed && !this.#stopping && !this.#limitReached() ? { next: iso(this.#timed.next(this.#clock.now())) } : {};
  }

  #limitReached(): boolean {
    return this.#o.maxRuns !== undefined && this.#started >= this.#o.maxRuns;
  }

  #maybeDone(): void {
    if (this.#stopping && !this.#running) {
      this.#emit({ type: 'schedule_end', runs: this.#finished, reason: this.#stopReason });
      this.#resolveDone({ runs: this.#finished, failed: this.#failed, reason: this.#stopReason });
    }
  }

  async #saveState(): Promise<void> {
    await this.#stateDir!.write(this.#stateRel, JSON.stringify(this.#state)).catch((err) => {
      this.#emit({ type: 'schedule_log', level: 'warning', message: `could not save ${this.#stateFile}: ${errorMessage(err)}` });
    });
  }

  #emit(e: ScheduleEventDraft): void {
    this.#bus.emit(e);
  }
}

async function readState(state: StateDir, rel: string): Promise<ScheduleState> {
  // A store that does not answer is an error; a missing or damaged file is a fresh schedule.
  const text = state.local !== undefined ? await state.read(rel).catch(() => undefined) : await state.read(rel);
  try {
    const s = JSON.parse(text ?? '{}') as ScheduleState;
    return typeof s === 'object' && s !== null ? s : {};
  } catch {
    return {};
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export { TriggerError };
