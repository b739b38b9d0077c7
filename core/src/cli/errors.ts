/** Maps errors to what the CLI prints and its exit code: 2 for bad config or usage, 1 otherwise. */
import { ConfigError, FlagError, OdibiError, SelectionError } from '../errors.js';
import { painter } from './format.js';

/** 130 for Ctrl-C, as shells report a process ended by SIGINT. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

export class UsageError extends OdibiError {}

export function exitCodeFor(err: unknown): number {
  return err instanceof ConfigError || err instanceof SelectionError || err instanceof UsageError || err instanceof FlagError ? EXIT.usage : EXIT.failed;
}

export function reportError(err: unknown, json: boolean): number {
  const code = exitCodeFor(err);
  if (json) {
    const payload = err instanceof ConfigError
      ? { type: 'config_error', problems: err.problems }
      : { type: 'error', name: err instanceof Error ? err.name : 'Error', message: err instanceof OdibiError ? err.message : String((err as Error)?.message ?? err), hint: err instanceof OdibiError ? err.hint : undefined };
    process.stdout.write(`${JSON.stringify(payload)}\n`);
  } else {
    const p = painter(process.stderr);
    const text = err instanceof OdibiError ? err.describe() : (err as Error)?.stack ?? String(err);
    process.stderr.write(`${p('red', 'error:')} ${text}\n`);
  }
  return code;
}
