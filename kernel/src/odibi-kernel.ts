/**
 * The ODIBI kernel handler: magic cells go to the pipeline magics (on a NotebookSession of the
 * core), everything else to the TypeScript kernel. TypeScript cells reach notebook data through
 * the `odibi` global (`odibi.table(key)`, `odibi.rows(key, limit?)`).
 */
import { datasetDeclarations, didYouMean, identifier, NotebookSession, parseMagic } from '@odibi/core';
import { magicNames, MagicError, runMagic, type MagicContext } from './magics/magics.js';
import type { ExecuteResult, KernelHandler, OutputSink } from './protocol/handler.js';
import { TypeScriptKernel } from './typescript-kernel.js';
import { runCli } from './cli-runner.js';
import { sandboxHint } from './sandbox/hints.js';

/**
 * Declared once, silently, so the type checker knows the global in every later cell. Its row types
 * come from `OdibiDatasets` and `OdibiArrowDatasets`, declared again (see `#declareDatasets`)
 * whenever a magic defines or changes a dataset: a misspelt key or column is a compile error.
 */
const ODIBI_DECLARATION = `/** An Arrow table of a notebook dataset (the subset of apache-arrow's Table that is typed here). */
interface OdibiTable<R> {
  readonly numRows: number;
  readonly numCols: number;
  readonly schema: { readonly fields: ReadonlyArray<{ readonly name: string }> };
  toArray(): Array<R & { toJSON(): R }>;
  get(index: number): (R & { toJSON(): R }) | null;
  getChild<C extends keyof R & string>(name: C): { readonly length: number; get(index: number): R[C]; toArray(): ArrayLike<R[C]> } | null;
  [Symbol.iterator](): IterableIterator<R & { toJSON(): R }>;
}
declare const odibi: {
  /** A dataset of this notebook as an apache-arrow Table. */
  table<K extends keyof OdibiArrowDatasets>(key: K): Promise<OdibiTable<OdibiArrowDatasets[K]>>;
  /** Rows of a dataset as objects (all, or the first \`limit\`): BIGINT → bigint, TIMESTAMP → Date… */
  rows<K extends keyof OdibiDatasets>(key: K, limit?: number): Promise<OdibiDatasets[K][]>;
  /** Dataset keys defined so far. */
  keys(): Array<keyof OdibiDatasets>;
  /** Runs the odibi CLI (e.g. odibi.cli('run', 'pipeline.json')) in the notebook's folder, like \`!odibi\` in IPython. */
  cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
};`;

/** A column a declared row type does not have (TypeScript says so, not always with a suggestion). */
const UNKNOWN_COLUMN = /Property '([^']+)' does not exist on type '(?:Arrow)?OdibiRow_(\w+)'\.(?: Did you mean '[^']+'\?)?/g;

/** A TypeScript error about a key `odibi.rows/table` does not know, as the user would say it. */
const UNKNOWN_KEY = /Argument of type '"((?:[^"\\]|\\.)*)"' is not assignable to parameter of type '(?:keyof Odibi(?:Arrow)?Datasets|never)'\./g;

export class OdibiKernel implements KernelHandler {
  readonly #ts: TypeScriptKernel;
  readonly #session: NotebookSession;
  readonly #memory: MagicContext['memory'] = {};
  /** The dataset types last declared to the type checker (as their declaration text). */
  #declared = datasetDeclarations([]);

  private constructor(ts: TypeScriptKernel, session: NotebookSession) {
    this.#ts = ts;
    this.#session = session;
  }

  static async create(rootDir: string): Promise<OdibiKernel> {
    const session = await NotebookSession.create({ baseDir: rootDir });
    const ts = new TypeScriptKernel({ rootDir });
    await ts.declare(datasetDeclarations([]));
    await ts.defineGlobal('odibi', {
      table: (key: string) => session.table(key),
      rows: (key: string, limit?: number) => session.rows(key, limit),
      keys: () => session.keys(),
      cli: (...args: string[]) => runCli(rootDir, args),
    }, ODIBI_DECLARATION);
    return new OdibiKernel(ts, session);
  }

  info() {
    return this.#ts.info();
  }

  async execute(code: string, sink: OutputSink, _options: { silent: boolean; executionCount: number }): Promise<ExecuteResult> {
    const result = await this.#execute(code, sink);
    if (result.status !== 'error') return result;
    // In a sandbox, an error that one of its limits caused says which one.
    const hint = sandboxHint(`${result.evalue}\n${result.traceback.join('\n')}`);
    return hint ? { ...result, traceback: [...result.traceback, `hint: ${hint}`] } : result;
  }

  async #execute(code: string, sink: OutputSink): Promise<ExecuteResult> {
    const call = parseMagic(code);
    if (!call) {
      await this.#declareDatasets();
      return this.#explainKeys(await this.#ts.execute(code, sink));
    }
    try {
      const data = await runMagic({ session: this.#session, sink, memory: this.#memory, variable: (name) => this.#ts.variable(name) }, call);
      return data ? { status: 'ok', data } : { status: 'ok' };
    } catch (err) {
      const e = err instanceof MagicError ? err : new MagicError(call.name, (err as Error).message);
      const where = `${call.kind === 'cell' ? '%%' : '%'}${e.magic}`;
      return { status: 'error', ename: 'MagicError', evalue: `${where}: ${e.message}`, traceback: [`${where}: ${e.message}`, ...(e.hint ? [`hint: ${e.hint}`] : [])] };
    }
  }

  /**
   * Declares the datasets' row types again if a magic changed them. Done before the next
   * TypeScript cell (not after every magic), so magics stay as fast as DuckDB.
   */
  async #declareDatasets(): Promise<void> {
    const text = datasetDeclarations(this.#session.datasetSchemas());
    if (text === this.#declared) return;
    await this.#ts.declare(text);
    this.#declared = text;
  }

  /** "Argument of type '"gld"' is not assignable to parameter of type 'keyof OdibiDatasets'" → unknown dataset 'gld', did you mean 'gold'? */
  #explainKeys(result: ExecuteResult): ExecuteResult {
    if (result.status !== 'error') return result;
    const schemas = this.#session.datasetSchemas();
    const keys = schemas.map((d) => d.key);
    const columnsOf = (typeName: string) => schemas.find((d) => identifier(d.key) === typeName.replace(/_\d+$/, ''))?.schema.map((c) => c.name) ?? [];
    const key = (_m: string, k: string) => `unknown dataset '${k}'; ${keys.length ? didYouMean(k, keys, `defined datasets: ${keys.join(', ')}`) : 'define one first, e.g. %ingest sales data/sales.csv'}`;
    const column = (_m: string, c: string, typeName: string) => {
      const cols = columnsOf(typeName);
      return `unknown column '${c}'; ${didYouMean(c, cols, cols.length ? `columns: ${cols.join(', ')}` : 'check the column names')}`;
    };
    const say = (text: string) => text.replace(UNKNOWN_KEY, key).replace(UNKNOWN_COLUMN, column);
    return { ...result, evalue: say(result.evalue), traceback: result.traceback.map(say) };
  }

  async complete(code: string, cursorPos: number) {
    const line = code.slice(0, cursorPos).split('\n').pop() ?? '';
    const m = /^(%%?)(\w*)$/.exec(line);
    if (m) {
      const matches = magicNames().filter((n) => n.startsWith(m[2])).map((n) => `${m[1]}${n}`);
      return { matches, cursorStart: cursorPos - line.length, cursorEnd: cursorPos };
    }
    // Inside a %%sql cell: the notebook's dataset keys and their columns.
    if (/^%%sql\b/.test(code) && code.indexOf('\n') < cursorPos) return this.#completeSql(code, cursorPos);
    await this.#declareDatasets();
    return this.#ts.complete(code, cursorPos);
  }

  #completeSql(code: string, cursorPos: number) {
    const word = /[\w.]*$/.exec(code.slice(0, cursorPos))![0];
    const dot = word.lastIndexOf('.');
    const prefix = word.slice(dot + 1).toLowerCase();
    const schemas = this.#session.datasetSchemas();
    const columns = [...new Set(schemas.flatMap((d) => d.schema.map((c) => c.name)))];
    const candidates = dot >= 0 ? columns : [...schemas.map((d) => d.key), ...columns];
    const matches = candidates.filter((c) => c.toLowerCase().startsWith(prefix));
    return { matches, cursorStart: cursorPos - prefix.length, cursorEnd: cursorPos };
  }

  inspect(code: string, cursorPos: number) {
    return this.#ts.inspect(code, cursorPos);
  }

  isComplete(code: string) {
    return parseMagic(code) ? { status: 'complete' as const } : this.#ts.isComplete(code);
  }

  interrupt(): void {
    this.#session.interrupt();
    this.#ts.interrupt();
  }

  async shutdown(): Promise<void> {
    await this.#memory.jobs?.stopAll();
    await this.#ts.shutdown();
    await this.#session.close();
  }
}
