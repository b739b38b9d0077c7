/** Option parsers shared by commands. */
import { UsageError } from './errors.js';

/** Repeatable selector option: `--only a,b --only +c` → ['a,b', '+c']. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a whole number ≥ 1, got '${value}'`);
    return n;
  };
}
