/**
 * `odibi stream` and `%stream` flags → stream options: one parser, so both take the same units.
 * `--until-idle` and `--trigger-interval` are durations (`30s`, `500ms`, `2m`); a bare number is
 * in each flag's documented unit, the same in both: seconds for `--until-idle`, milliseconds for
 * `--trigger-interval`.
 */
import { FlagError } from '../errors.js';
import { DurationError, parseDuration } from '../shared/duration.js';

export interface StreamFlags {
  stateDir?: string;
  maxBatches?: string | number;
  untilIdle?: string | number;
  triggerInterval?: string | number;
}

export interface StreamFlagOptions {
  stateDir?: string;
  maxBatches?: number;
  untilIdleMs?: number;
  triggerIntervalMs?: number;
}

export class StreamFlagError extends FlagError {}

export function streamFromFlags(f: StreamFlags): StreamFlagOptions {
  const duration = (v: string | number | undefined, flag: string, bare: 's' | 'ms') => {
    if (v === undefined) return undefined;
    try {
      return parseDuration(typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v, flag, bare);
    } catch (err) {
      throw err instanceof DurationError ? new StreamFlagError(err.message, { hint: `e.g. ${flag} 30s or ${flag} 500ms (a bare number is ${bare === 's' ? 'seconds' : 'milliseconds'})` }) : err;
    }
  };
  const out: StreamFlagOptions = {};
  if (f.stateDir !== undefined) out.stateDir = f.stateDir;
  if (f.maxBatches !== undefined) {
    const n = Number(f.maxBatches);
    if (!Number.isInteger(n) || n < 1) throw new StreamFlagError(`--max-batches must be a whole number ≥ 1, not '${String(f.maxBatches)}'`);
    out.maxBatches = n;
  }
  const idle = duration(f.untilIdle, '--until-idle', 's');
  if (idle !== undefined) out.untilIdleMs = idle;
  const interval = duration(f.triggerInterval, '--trigger-interval', 'ms');
  if (interval !== undefined) {
    if (interval <= 0) throw new StreamFlagError('--trigger-interval must be above 0');
    out.triggerIntervalMs = interval;
  }
  return out;
}
