/**
 * The kernel handler: TypeScript cells run by tslab's converter and executor (type-checking across
 * cells, top-level await, completion, inspection). The executor reports through an injected
 * console, which is where this class picks up the cell's value (for execute_result) and its errors
 * (for a proper error reply) instead of letting them fall into stdout.
 */
// First: it must be in place before tslab's converter loads TypeScript.
import './tslab/fast-transpile.js';
import { format, inspect } from 'node:util';
import { createRequire } from 'node:module';
import { createConverter, isCompleteCode, type Converter } from 'tslab/dist/converter.js';
import { createExecutor, type Executor } from 'tslab/dist/executor.js';
import { printQuickInfo } from 'tslab/dist/inspect.js';
import type { ErrorResult, ExecuteResult, KernelHandler, KernelInfo, MimeBundle, OutputSink } from './protocol/handler.js';

const require = createRequire(import.meta.url);
/** tslab's display API (`tslab.display.html(...)`) writes through this module-level hook. */
const tslabJupyter = require('tslab/dist/jupyter.js') as { lastWriteDisplayData: unknown };

interface DisplayMessage {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient?: { display_id?: string };
}

export interface TypeScriptKernelOptions {
  /** Folder that `import` and relative paths in cells resolve from. */
  rootDir: string;
  /** Extra rendering of a cell's value (e.g. a table as HTML); text/plain is always added. */
  renderValue?: (value: unknown) => MimeBundle | undefined;
}

export class TypeScriptKernel implements KernelHandler {
  readonly #converter: Converter;
  readonly #executor: Executor;
  readonly #renderValue?: (value: unknown) => MimeBundle | undefined;
  /** Where stray output (timers, late promises) goes: the sink of the latest execution. */
  #sink: OutputSink | undefined;
  #value: { v: unknown } | undefined;
  #errors: unknown[][] = [];
  readonly #stdoutWrite = process.stdout.write.bind(process.stdout);
  readonly #stderrWrite = process.stderr.write.bind(process.stderr);

  constructor(options: TypeScriptKernelOptions) {
    this.#renderValue = options.renderValue;
    this.#converter = createConverter({ isJS: false, isBrowser: false });
    const convs = { node: this.#converter, browser: this.#converter, close: () => this.#converter.close() };
    this.#executor = createExecutor(options.rootDir, convs, {
      log: (value: unknown) => {
        this.#value = { v: value };
      },
      error: (...args: unknown[]) => {
        this.#errors.push(args);
      },
    });
    this.#routeProcessOutput();
  }

  /**
   * Like ipykernel with sys.stdout, user code's console.log and process.stdout go to the cell that
   * is running (or ran last). Everything else in the kernel writes through the saved originals.
   */
  #routeProcessOutput(): void {
    const route = (name: 'stdout' | 'stderr', original: typeof process.stdout.write) =>
      ((chunk: string | Uint8Array, encoding?: BufferEncoding | ((err?: Error | null) => void), cb?: (err?: Error | null) => void) => {
        const sink = this.#sink;
        if (!sink) return original(chunk as string, encoding as BufferEncoding, cb);
        sink.stream(name, typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8'));
        const done = typeof encoding === 'function' ? encoding : cb;
        done?.();
        return true;
      }) as typeof process.stdout.write;
    process.stdout.write = route('stdout', this.#stdoutWrite);
    process.stderr.write = route('stderr', this.#stderrWrite);
  }

  /**
   * Makes a value available to every later cell under `name`, with `declaration` (a `declare const`)
   * telling the type checker its type. tslab keeps top-level names as its own locals, so the value
   * lives there rather than on globalThis.
   */
  async defineGlobal(name: string, value: unknown, declaration: string): Promise<void> {
    const quiet: OutputSink = { stream: () => undefined, display: () => undefined, updateDisplay: () => undefined, clearOutput: () => undefined };
    const r = await this.execute(declaration, quiet);
    if (r.status === 'error') throw new Error(`declaring ${name} failed: ${r.evalue}`);
    this.#executor.locals[name] = value;
  }

  /** Runs declarations (types, `declare const`) silently, so later cells type-check against them. */
  async declare(declarations: string): Promise<void> {
    const quiet: OutputSink = { stream: () => undefined, display: () => undefined, updateDisplay: () => undefined, clearOutput: () => undefined };
    const r = await this.execute(declarations, quiet);
    if (r.status === 'error') throw new Error(`declaring types failed: ${r.evalue}`);
  }

  /** A top-level variable of the cells run so far. */
  variable(name: string): { found: boolean; value?: unknown; names: string[] } {
    const locals = this.#executor.locals;
    const names = Object.keys(locals);
    return name in locals ? { found: true, value: locals[name], names } : { found: false, names };
  }

  info(): KernelInfo {
    return {
      implementation: 'odibi',
      implementationVersion: '0.1.0',
      languageInfo: {
        name: 'typescript',
        version: '5.0',
        mimetype: 'text/typescript',
        file_extension: '.ts',
        codemirror_mode: { mode: 'typescript', name: 'javascript', typescript: true },
      },
      banner: 'ODIBI (TypeScript): TypeScript cells and pipeline magics',
    };
  }

  async execute(code: string, sink: OutputSink): Promise<ExecuteResult> {
    this.#sink = sink;
    this.#value = undefined;
    this.#errors = [];
    tslabJupyter.lastWriteDisplayData = (msg: DisplayMessage, update: boolean) => {
      const id = msg.transient?.display_id;
      if (update && id) sink.updateDisplay(msg.data, msg.metadata ?? {}, id);
      else sink.display(msg.data, msg.metadata ?? {}, id);
    };
    let ok: boolean;
    try {
      ok = await this.#executor.execute(code);
    } catch (err) {
      this.#errors.push([err]);
      ok = false;
    }
    if (!ok) return errorOf(this.#errors);
    const value = this.#value as { v: unknown } | undefined;
    return value ? { status: 'ok', data: this.render(value.v) } : { status: 'ok' };
  }

  /**
   * A value as a mime bundle: the custom renderer's types plus text/plain as Node's REPL shows it
   * (a string in quotes, `'ab'`, as Jupyter's kernel tests and tslab expect).
   */
  render(value: unknown): MimeBundle {
    const rich = this.#renderValue?.(value) ?? {};
    return { 'text/plain': inspect(value, { depth: 4, colors: false, maxArrayLength: 100 }), ...rich };
  }

  complete(code: string, cursorPos: number) {
    const info = this.#executor.complete(code, cursorPos);
    return { matches: info.candidates, cursorStart: info.start, cursorEnd: info.end };
  }

  inspect(code: string, cursorPos: number) {
    const info = this.#executor.inspect(code, cursorPos);
    return info ? { found: true, data: { 'text/plain': printQuickInfo(info) } } : { found: false, data: {} };
  }

  isComplete(code: string) {
    const r = isCompleteCode(code);
    return r.completed ? { status: 'complete' as const } : { status: 'incomplete' as const, indent: r.indent };
  }

  interrupt(): void {
    this.#executor.interrupt();
  }

  async shutdown(): Promise<void> {
    this.#sink = undefined;
    this.#executor.close();
  }
}

/** What tslab printed for a failed cell → an error reply: a thrown value, or TypeScript diagnostics. */
export function errorOf(errors: unknown[][]): ErrorResult {
  const thrown = errors.find((args) => args.length === 1 && (args[0] instanceof Error || typeof args[0] !== 'string'));
  if (thrown) {
    const e = thrown[0];
    if (e instanceof Error) {
      const interrupted = /interrupted/i.test(e.message);
      return {
        status: 'error',
        ename: interrupted ? 'Interrupted' : e.name || 'Error',
        evalue: interrupted ? 'execution was interrupted' : e.message,
        traceback: userFrames(e.stack ?? `${e.name}: ${e.message}`),
      };
    }
    return { status: 'error', ename: 'Error', evalue: inspect(e), traceback: [`Uncaught ${inspect(e)}`] };
  }
  const lines = errors.map((args) => format(...(args as [unknown, ...unknown[]])));
  return { status: 'error', ename: 'TypeScriptError', evalue: lines.join('\n') || 'the cell failed', traceback: lines };
}

/** Frames of the kernel's own machinery: vm, tslab, this package, the core, Node's internals. */
const INTERNAL_FRAME = /node:vm|node:internal|sigintHandlersWrap|tslab[\\/]dist|kernel[\\/]dist|core[\\/]dist|@odibi[\\/]/;

/** The stack of what the user's code did: the message, and only the frames in the cell. */
function userFrames(stack: string): string[] {
  const lines = stack.split('\n');
  return lines.filter((l) => !(/^\s+at /.test(l) && INTERNAL_FRAME.test(l)));
}
