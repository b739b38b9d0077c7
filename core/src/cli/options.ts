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

/** Repeatable `--var name=value` → { name: value } (a later one wins). */
export function collectVar(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(value);
  if (!m) throw new UsageError(`--var takes name=value (a name is letters, digits and _), got '${value}'`);
  return { ...previous, [m[1]]: m[2] };
}

/** What `--vars file.json`, `--var` and `--profile` give a command's loader: the file's variables under `--var`'s. */
export async function settingsOf(o: { var?: Record<string, string>; vars?: string; profile?: string }): Promise<{ vars?: Record<string, string>; profile?: string }> {
  let fromFile: Record<string, string> = {};
  if (o.vars) {
    const { readFile } = await import('node:fs/promises');
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(o.vars, 'utf8'));
    } catch (err) {
      throw new UsageError(`--vars ${o.vars}: ${(err as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`--vars ${o.vars}: expected a JSON object of variables, like {"root": "data"}`);
    fromFile = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  }
  const vars = { ...fromFile, ...o.var };
  return { ...(Object.keys(vars).length ? { vars } : {}), ...(o.profile ? { profile: o.profile } : {}) };
}
