/**
 * The ODIBI kernel handler: magic cells go to the pipeline magics (on a NotebookSession of the
 * core), everything else to the TypeScript kernel. TypeScript cells reach notebook data through
 * the `odibi` global (`odibi.table(key)`, `odibi.rows(key, limit?)`).
 */
import { NotebookSession, parseMagic, type StepState } from '@odibi/core';
import { magicNames, MagicError, runMagic, type MagicContext } from './magics/magics.js';
import type { ExecuteResult, KernelHandler, OutputSink } from './protocol/handler.js';
import { TypeScriptKernel } from './typescript-kernel.js';
import { runCli } from './cli-runner.js';
import { sandboxHint } from './sandbox/hints.js';

/** Declared once, silently, so the type checker knows the global in every later cell. */
const ODIBI_DECLARATION = `declare const odibi: {
  /** A dataset of this notebook as an apache-arrow Table. */
  table(key: string): Promise<any>;
  /** Rows of a dataset as objects (all, or the first \`limit\`). */
  rows(key: string, limit?: number): Promise<Record<string, any>[]>;
  /** Dataset keys defined so far. */
  keys(): string[];
  /** Runs the odibi CLI (e.g. odibi.cli('run', 'pipeline.json')) in the notebook's folder, like \`!odibi\` in IPython. */
  cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
};`;

export class OdibiKernel implements KernelHandler {
  readonly #ts: TypeScriptKernel;
  readonly #session: NotebookSession;
  readonly #memory: MagicContext['memory'] = {};

  private constructor(ts: TypeScriptKernel, session: NotebookSession) {
    this.#ts = ts;
    this.#session = session;
  }

  static async create(rootDir: string): Promise<OdibiKernel> {
    const session = await NotebookSession.create({ baseDir: rootDir, log: (step, m) => process.stdout.write(`${step}: ${m}\n`) });
    const ts = new TypeScriptKernel({ rootDir });
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

  async execute(code: string, sink: OutputSink, options: { silent: boolean; executionCount: number }): Promise<ExecuteResult> {
    const result = await this.#execute(code, sink);
    if (result.status !== 'error') return result;
    // In a sandbox, an error that one of its limits caused says which one.
    const hint = sandboxHint(`${result.evalue}\n${result.traceback.join('\n')}`);
    return hint ? { ...result, traceback: [...result.traceback, `hint: ${hint}`] } : result;
  }

  async #execute(code: string, sink: OutputSink): Promise<ExecuteResult> {
    const call = parseMagic(code);
    if (!call) return this.#ts.execute(code, sink);
    try {
      const data = await runMagic({ session: this.#session, sink, memory: this.#memory, variable: (name) => this.#ts.variable(name) }, call);
      return data ? { status: 'ok', data } : { status: 'ok' };
    } catch (err) {
      const e = err instanceof MagicError ? err : new MagicError(call.name, (err as Error).message);
      const where = `${call.kind === 'cell' ? '%%' : '%'}${e.magic}`;
      return { status: 'error', ename: 'MagicError', evalue: `${where}: ${e.message}`, traceback: [`${where}: ${e.message}`, ...(e.hint ? [`hint: ${e.hint}`] : [])] };
    }
  }

  complete(code: string, cursorPos: number) {
    const line = code.slice(0, cursorPos).split('\n').pop() ?? '';
    const m = /^(%%?)(\w*)$/.exec(line);
    if (m) {
      const matches = magicNames().filter((n) => n.startsWith(m[2])).map((n) => `${m[1]}${n}`);
      return { matches, cursorStart: cursorPos - line.length, cursorEnd: cursorPos };
    }
    return this.#ts.complete(code, cursorPos);
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
