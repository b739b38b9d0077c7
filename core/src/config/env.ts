/**
 * `${env:NAME}` and `${var:name}` / `${var:name:-default}` substitution, and the redaction of what
 * `${env:…}` substituted. Secrets come from the environment at load time; every sink (logs, events,
 * tracker files) passes text through `Redactor.redact` so a substituted value never reaches disk or
 * a terminal. Variables (`--var`, `--vars`, a profile, `%set`) are settings, not secrets: they are
 * recorded as they are.
 */

const REF = /\$\{(env|var):([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface Substitution<T> {
  value: T;
  /** Environment variables referenced but not set. */
  missing: string[];
  /** Variables referenced with no value and no default. */
  missingVars: string[];
  /** Values that were substituted from the environment. */
  secrets: string[];
  /** Variables that were used, with the value each got. */
  used: Record<string, string>;
}

export interface SubstituteOptions {
  env?: NodeJS.ProcessEnv;
  vars?: Readonly<Record<string, string>>;
}

export function substitute<T>(input: T, o: SubstituteOptions = {}): Substitution<T> {
  const env = o.env ?? process.env;
  const vars = o.vars ?? {};
  const missing: string[] = [];
  const missingVars: string[] = [];
  const secrets: string[] = [];
  const used: Record<string, string> = {};
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      return v.replace(REF, (ref, kind: string, name: string, fallback: string | undefined) => {
        if (kind === 'var') {
          const found = Object.hasOwn(vars, name) ? vars[name] : fallback;
          if (found === undefined) {
            missingVars.push(name);
            return ref;
          }
          used[name] = found;
          return found;
        }
        const found = env[name];
        if (found === undefined) {
          // ${env:NAME:-default}: a default is no secret.
          if (fallback !== undefined) return fallback;
          missing.push(name);
          return ref;
        }
        if (found.length > 0) secrets.push(found);
        return found;
      });
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return { value: walk(input) as T, missing, missingVars, secrets, used };
}

/** Whether a text refers to a variable (`${var:…}`). */
export function usesVars(text: string): boolean {
  return /\$\{var:[A-Za-z_]/.test(text);
}

export class Redactor {
  readonly #secrets: string[];
  constructor(secrets: readonly string[]) {
    // Longest first so a secret containing another is replaced whole.
    this.#secrets = [...new Set(secrets)].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.#secrets) out = out.split(s).join('***');
    return out;
  }

  /** Deep-redacts strings inside a JSON-like value. */
  redactValue<T>(value: T): T {
    if (this.#secrets.length === 0) return value;
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.redact(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v instanceof Date || typeof v !== 'object' || v === null) return v;
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    };
    return walk(value) as T;
  }
}
