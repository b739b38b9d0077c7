/**
 * `odibi schedule <config> --cron EXPR [--tz TZ] | --every DUR | --on-file DIR`: runs the pipeline
 * on a trigger until stopped (SIGTERM or Ctrl-C: no new runs, the one in progress finishes).
 */
import { createLogUpdate } from 'log-update';
import { Scheduler, type ScheduleEvent } from '../../schedule/scheduler.js';
import { scheduleFromFlags } from '../../schedule/trigger.js';
import type { RunEvent } from '../../exec/events.js';
import { EXIT, reportError } from '../errors.js';
import { duration, painter } from '../format.js';
import { settingsOf } from '../options.js';

export interface ScheduleCommandOptions {
  cron?: string;
  tz?: string;
  every?: string;
  onFile?: string;
  pattern?: string;
  overlap?: 'skip' | 'queue';
  missed?: 'skip' | 'run-once';
  maxRuns?: number;
  stateDir?: string;
  workers?: number;
  project?: string;
  json?: boolean;
  /** --var, --vars, --profile (cli/options.ts settingsOf). */
  var?: Record<string, string>;
  vars?: string;
  profile?: string;
}

export async function scheduleCommand(config: string, o: ScheduleCommandOptions): Promise<number> {
  try {
    const { trigger, overlap, missed } = scheduleFromFlags(o);
    const p = painter(process.stdout);
    const live = !o.json && process.stdout.isTTY && process.env.CI === undefined ? createLogUpdate(process.stdout, { showCursor: true }) : undefined;
    let next: string | undefined;
    const print = (line: string) => {
      live?.clear();
      process.stdout.write(`${line}\n`);
      if (live && next) live(p('dim', `… next run ${next.replace('T', ' ').slice(0, 19)} UTC`));
    };
    const human = (e: ScheduleEvent) => {
      switch (e.type) {
        case 'schedule_start':
          next = e.next;
          print(p('bold', `Scheduling ${e.pipeline}: ${e.trigger}`) + p('dim', ` (overlap: ${e.overlap}, missed runs: ${e.missed.replace('_', ' ')})`));
          return;
        case 'schedule_missed':
          print(p('yellow', `${e.count} run${e.count === 1 ? '' : 's'} missed since ${e.since} while not running: ${e.policy === 'run_once' ? 'running once now' : 'skipped (--missed run-once makes them up)'}`));
          return;
        case 'schedule_fire':
          print(`▶ run (${e.reason}${e.file ? `: ${e.file}` : ''}) scheduled for ${e.scheduledFor}`);
          return;
        case 'schedule_skip':
          print(p('yellow', `⏭ skipped the run due ${e.scheduledFor}: the previous run is still going (--overlap skip)`));
          return;
        case 'schedule_queued':
          print(p('dim', `⏸ a run is queued behind the one in progress`));
          return;
        case 'schedule_run_end':
          next = e.next;
          print(`${e.status === 'success' ? p('green', '✔') : p('red', '✖')} run ${e.runId ?? ''} ${e.status} in ${duration(e.durationMs)}${e.error ? `: ${e.error.message}` : ''}`);
          return;
        case 'schedule_log':
        case 'hook_error': {
          // Warnings go where warnings go, between the lines of progress.
          live?.clear();
          const message = e.type === 'hook_error' ? e.error.message : e.message;
          process.stderr.write(`${painter(process.stderr)('yellow', 'warning:')} ${message}\n`);
          return;
        }
        case 'schedule_end':
          live?.clear();
          print(p('bold', `Schedule stopped after ${e.runs} run${e.runs === 1 ? '' : 's'}${e.reason === 'max_runs' ? ' (--max-runs)' : ''}`));
      }
    };
    const json = (e: ScheduleEvent | RunEvent) => { process.stdout.write(`${JSON.stringify(e)}\n`); };
    const scheduler = new Scheduler(config, {
      trigger, overlap, missed,
      maxRuns: o.maxRuns, stateDir: o.stateDir, workers: o.workers, project: o.project, ...(await settingsOf(o)),
      onEvent: o.json ? json : human, hooks: o.json ? [json] : [],
    });
    await scheduler.start();
    const stop = () => void scheduler.stop();
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    const summary = await scheduler.done.finally(() => {
      process.removeListener('SIGTERM', stop);
      process.removeListener('SIGINT', stop);
    });
    return summary.failed && summary.reason === 'max_runs' ? EXIT.failed : EXIT.ok;
  } catch (err) {
    return reportError(err, !!o.json);
  }
}
