/**
 * When a schedule fires: a cron expression (croner: 5 or 6 fields, nicknames like @hourly,
 * timezone aware, DST handled), a fixed interval, or the arrival of a file. Pure, so the fire
 * times and the missed-run arithmetic are tested without waiting.
 */
import { Cron } from 'croner';
import { FlagError } from '../errors.js';
import path from 'node:path';
import { DurationError, formatDuration, parseDuration } from '../shared/duration.js';

export type TriggerSpec =
  | { kind: 'cron'; expression: string; timezone?: string }
  | { kind: 'every'; everyMs: number }
  | { kind: 'file'; dir: string; pattern?: string };

export class TriggerError extends FlagError {}

export interface TimedTrigger {
  /** The first fire time strictly after `after` (ms since epoch). */
  next(after: number): number;
  describe(): string;
}

export function timedTrigger(spec: Exclude<TriggerSpec, { kind: 'file' }>): TimedTrigger {
  if (spec.kind === 'every') {
    if (!(spec.everyMs > 0)) throw new TriggerError('--every must be longer than 0', { hint: 'e.g. --every 30s or --every 5m' });
    // Interval fires stay on a grid that starts at the epoch, so restarts keep the same times.
    return { next: (after) => (Math.floor(after / spec.everyMs) + 1) * spec.everyMs, describe: () => `every ${formatDuration(spec.everyMs)}` };
  }
  let cron: Cron;
  try {
    cron = new Cron(spec.expression, { timezone: spec.timezone, paused: true });
    cron.nextRun();
  } catch (err) {
    const msg = (err as Error).message;
    if (/timezone/i.test(msg)) throw new TriggerError(`unknown timezone '${spec.timezone}'`, { hint: 'use an IANA name such as Europe/Paris, America/New_York or UTC' });
    throw new TriggerError(`invalid cron expression '${spec.expression}': ${msg.replace(/^CronPattern: /, '')}`, { hint: 'five fields: minute hour day-of-month month day-of-week, e.g. "*/15 * * * *" or "0 6 * * 1-5"; or @hourly, @daily' });
  }
  return {
    next: (after) => {
      const d = cron.nextRun(new Date(after));
      if (!d) throw new TriggerError(`cron expression '${spec.expression}' never fires again`);
      return d.getTime();
    },
    describe: () => `cron "${spec.expression}"${spec.timezone ? ` (${spec.timezone})` : ''}`,
  };
}

/** Fire times missed between the last fire and now (at most `limit` counted). */
export function missedSince(trigger: TimedTrigger, lastFire: number, now: number, limit = 1000): number {
  let n = 0;
  for (let t = trigger.next(lastFire); t <= now && n < limit; t = trigger.next(t)) n++;
  return n;
}

/** The flags of `odibi schedule` and `%schedule`, as a user types them. */
export interface ScheduleFlags {
  cron?: string;
  tz?: string;
  every?: string;
  onFile?: string;
  pattern?: string;
  overlap?: string;
  missed?: string;
}

/**
 * Flags → the trigger and policies, the same for the CLI and the kernel. Exactly one of --cron,
 * --every, --on-file; --on-file is resolved against `baseDir` if given (else kept as typed, and
 * read from the working folder).
 */
export function scheduleFromFlags(f: ScheduleFlags, baseDir?: string): { trigger: TriggerSpec; overlap?: 'skip' | 'queue'; missed?: 'skip' | 'run_once' } {
  const given = [f.cron !== undefined && '--cron', f.every !== undefined && '--every', f.onFile !== undefined && '--on-file'].filter(Boolean);
  if (given.length !== 1) {
    throw new TriggerError(given.length ? `give one trigger, not ${given.join(' and ')}` : 'no trigger given', { hint: 'use --cron "0 6 * * *" [--tz Europe/Paris], --every 30s, or --on-file <dir>' });
  }
  if (f.tz !== undefined && f.cron === undefined) throw new TriggerError('--tz goes with --cron');
  if (f.pattern !== undefined && f.onFile === undefined) throw new TriggerError('--pattern goes with --on-file');
  if (f.overlap !== undefined && f.overlap !== 'skip' && f.overlap !== 'queue') throw new TriggerError(`--overlap is skip or queue, not '${f.overlap}'`);
  if (f.missed !== undefined && f.missed !== 'skip' && f.missed !== 'run-once') throw new TriggerError(`--missed is skip or run-once, not '${f.missed}'`);
  let trigger: TriggerSpec;
  if (f.cron !== undefined) trigger = { kind: 'cron', expression: f.cron, timezone: f.tz };
  else if (f.every !== undefined) {
    try {
      trigger = { kind: 'every', everyMs: parseDuration(f.every, '--every') };
    } catch (err) {
      throw err instanceof DurationError ? new TriggerError(err.message) : err;
    }
  } else trigger = { kind: 'file', dir: baseDir ? path.resolve(baseDir, f.onFile!) : f.onFile!, pattern: f.pattern };
  return { trigger, overlap: f.overlap as 'skip' | 'queue' | undefined, missed: f.missed === undefined ? undefined : f.missed === 'run-once' ? 'run_once' : 'skip' };
}
