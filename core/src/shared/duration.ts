/**
 * Durations as configs write them: "500ms", "30s", "10m", "2h", "7d", or a number of milliseconds.
 * Used by stream specs (`every`, `lateness`, `settle_ms`), `--until-idle` and `checkpoint clear
 * --older-than`.
 */
const UNITS =  { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

export class DurationError extends Error {}

/**
 * Milliseconds in a duration. A bare number is in `bareUnit` (milliseconds unless a flag's
 * documented unit says otherwise, e.g. `--until-idle 30` is 30 seconds everywhere).
 */
export function parseDuration(value: unknown, what = 'duration', bareUnit: keyof typeof UNITS = 'ms'): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value * UNITS[bareUnit];
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(value) : null;
  if (!m) throw new DurationError(`${what} '${String(value)}' is not a duration; write e.g. "500ms", "30s", "10m", "2h" or "7d"`);
  return Math.round(Number(m[1]) * UNITS[((m[2] ?? bareUnit).toLowerCase()) as keyof typeof UNITS]);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000) ? `${Math.round((ms % 60_000) / 1000)}s` : ''}`;
  return `${Math.floor(ms / 3_600_000)}h${Math.round((ms % 3_600_000) / 60_000) ? `${Math.round((ms % 3_600_000) / 60_000)}m` : ''}`;
}
