/**
 * When a schedule fires: a cron expression (croner: 5 or 6 fields, nicknames like @hourly,
 * timezone aware, DST handled), a fixed interval, or the arrival of a file. Pure, so the fire
 * times and the missed-run arithmetic are tested without waiting.
 */
import { Cron } from 'croner';
import { OdibiError } from '../errors.js';
import { formatDuration } from '../stream/duration.js';

export type TriggerSpec =
  | { kind: 'cron'; expression: string; timezone?: string }
  | { kind: 'every'; everyMs: number }
  | { kind: 'file'; dir: string; pattern?: string };

export class TriggerError extends OdibiError {}

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
