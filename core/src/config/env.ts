/**
 * `${env:NAME}` substitution and the redaction of what it substituted. Secrets come from the
 * environment at load time; every sink (logs, events, tracker files) passes text through
 * `Redactor.redact` so a substituted value never reaches disk or a terminal.
 */

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

export interface Substitution<T> {
  value: T;
  /** Names referenced but not set. */
  missing: string[];
  /** Values that were substituted. */
  secrets: string[];
}

export function substituteEnv<T>(input: T, env: NodeJS.ProcessEnv = process.env): Substitution<T> {
  const missing: string[] = [];
  const secrets: string[] = [];
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      return v.replace(ENV_REF, (ref, name: string) => {
        const found = env[name];
        if (found === undefined) {
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
  return { value: walk(input) as T, missing, secrets };
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
