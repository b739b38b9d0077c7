/**
 * Typed errors. Every error a user can see names where it happened (step, file, line) and says
 * what to do next, so the CLI can print it as-is and pick the exit code from the class.
 */

export interface ErrorDetails {
  step?: string;
  file?: string;
  line?: number;
  /** Where in a file without lines, e.g. "transformation_config row 3" of a SQLite config. */
  row?: string;
  column?: number;
  /** Where in the step's SQL (1-based), for errors about the SQL a user wrote. */
  sql?: { line: number; column?: number };
  hint?: string;
  cause?: unknown;
}

export class OdibiError extends Error {
  readonly step?: string;
  readonly file?: string;
  readonly line?: number;
  readonly row?: string;
  readonly column?: number;
  readonly sql?: { line: number; column?: number };
  readonly hint?: string;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.step = details.step;
    this.file = details.file;
    this.line = details.line;
    this.row = details.row;
    this.column = details.column;
    this.sql = details.sql;
    this.hint = details.hint;
  }

  /** "file:line:col: step 'x': message (hint: ...)" — the one-line form used by the CLI and logs. */
  describe(): string {
    const where: string[] = [];
    if (this.file) {
      let loc = this.file;
      if (this.line !== undefined) loc += `:${this.line}`;
      if (this.line !== undefined && this.column !== undefined) loc += `:${this.column}`;
      if (this.line === undefined && this.row) loc += ` (${this.row})`;
      where.push(loc);
    }
    if (this.step) where.push(`step '${this.step}'`);
    const prefix = where.length ? `${where.join(': ')}: ` : '';
    const inSql = this.sql ? ` (line ${this.sql.line}${this.sql.column !== undefined ? `, column ${this.sql.column}` : ''} of the SQL)` : '';
    return `${prefix}${this.message}${inSql}${this.hint ? `\n  hint: ${this.hint}` : ''}`;
  }
}

/** One problem found while reading or validating a config; validation collects all of them. */
export interface ConfigProblem extends ErrorDetails {
  message: string;
}

/** The config cannot be used. Carries every problem found, not just the first. */
export class ConfigError extends OdibiError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[], file?: string) {
    const first = problems[0];
    super(
      problems.length === 1
        ? first.message
        : `${problems.length} problems in the pipeline config`,
      problems.length === 1 ? { ...first, file: first.file ?? file } : { file },
    );
    // In file order, so the list reads top to bottom like the config.
    this.problems = problems
      .map((p, i) => ({ p: { ...p, file: p.file ?? file }, i }))
      .sort((a, b) => (a.p.line ?? Infinity) - (b.p.line ?? Infinity) || a.i - b.i)
      .map(({ p }) => p);
  }

  override describe(): string {
    if (this.problems.length === 1) return super.describe();
    return [
      `${this.problems.length} problems in ${this.file ?? 'the pipeline config'}:`,
      ...this.problems.map((p) => `  - ${new OdibiError(p.message, p).describe().replace(/\n/g, '\n    ')}`),
    ].join('\n');
  }
}

/** --only / --skip cannot be satisfied (unknown step, or a selected step needs an unselected one). */
export class SelectionError extends OdibiError {}

/** A flag or option value that cannot be used (a duration, a cron expression): exit code 2 in the CLI. */
export class FlagError extends OdibiError {}

/** A step failed while running: wraps the engine's or the user's error and keeps it as `cause`. */
export class StepError extends OdibiError {
  constructor(step: string, message: string, details: Omit<ErrorDetails, 'step'> = {}) {
    super(message, { ...details, step });
  }
}

/** A step ran longer than its timeout. */
export class StepTimeoutError extends StepError {}

/** A step was stopped because the run was cancelled (Ctrl-C). */
export class StepCancelledError extends StepError {}

/** Message of any thrown value, for logs and events. */
export function errorMessage(err: unknown): string {
  if (err instanceof OdibiError) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A stream cannot start or go on (no streaming step, another process owns it, a batch failed). */
export class StreamError extends OdibiError {}
