/**
 * The site's side of executable cells: one odibi kernel per visitor and page (cells of a page
 * share it, like a notebook), started through the Jupyter server with @jupyterlab/services. Only
 * this server module knows the Jupyter URL and token; the browser talks to /api/kernel/*.
 *
 * Limits: at most `maxKernels` kernels at once (past that, a BusyError the page shows as "busy,
 * try again"), kernels idle for `idleMs` are shut down, and an execution running longer than
 * `timeoutMs` is interrupted. Each visitor's kernels run in a folder of their own (with the
 * lessons' data linked in), so one learner's files never meet another's.
 */
import { mkdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { ServerConnection, SessionManager, KernelManager, type KernelMessage, type Session } from '@jupyterlab/services';
import WebSocket from 'ws';

export class BusyError extends Error {}

export interface GatewayOptions {
  baseUrl: string;
  token: string;
  /** The Jupyter server's root folder: visitors' folders are made under it. */
  rootDir: string;
  /** Linked as `lessons/data/` in each visitor's folder: lesson cells read `data/readings.csv`. */
  dataDir: string;
  /** Linked as `examples/` beside it: notebook cells read `../examples/iot/data/...`, as in the repo. */
  examplesDir: string;
  maxKernels: number;
  idleMs: number;
  timeoutMs: number;
}

export interface ExecuteResult {
  status: 'ok' | 'error' | 'timeout';
  executionCount?: number;
}

interface Entry {
  session: Session.ISessionConnection;
  lastUsed: number;
  running: number;
}

export class KernelGateway {
  readonly #o: GatewayOptions;
  readonly #settings: ServerConnection.ISettings;
  readonly #sessions: SessionManager;
  readonly #entries = new Map<string, Promise<Entry>>();
  /**
   * Shutdowns in progress: Jupyter keys sessions by path, so a new kernel for the page must wait
   * until the old session is gone, or it would be handed the dying one.
   */
  readonly #closing = new Map<string, Promise<unknown>>();
  readonly #cull: NodeJS.Timeout;

  constructor(options: GatewayOptions) {
    this.#o = options;
    const wsUrl = options.baseUrl.replace(/^http/, 'ws');
    this.#settings = ServerConnection.makeSettings({ baseUrl: options.baseUrl, wsUrl, token: options.token, appendToken: true, WebSocket: WebSocket as never });
    this.#sessions = new SessionManager({ serverSettings: this.#settings, kernelManager: new KernelManager({ serverSettings: this.#settings }) });
    this.#cull = setInterval(() => void this.cullIdle(), Math.min(60_000, Math.max(1000, options.idleMs / 2)));
    this.#cull.unref();
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Runs `code` on the visitor's kernel for `page`, handing each output message to `onOutput`. */
  async execute(visitor: string, page: string, code: string, onOutput: (type: string, content: Record<string, unknown>) => void): Promise<ExecuteResult> {
    const entry = await this.#entry(visitor, page);
    const kernel = entry.session.kernel;
    if (!kernel) throw new Error('the kernel is gone; restart it');
    entry.running++;
    entry.lastUsed = Date.now();
    let timedOut = false;
    let repeat: NodeJS.Timeout | undefined;
    // An interrupt that lands while the cell is still compiling is lost, so it is sent again
    // every second until the cell ends.
    const timer = setTimeout(() => {
      timedOut = true;
      void kernel.interrupt().catch(() => undefined);
      repeat = setInterval(() => void kernel.interrupt().catch(() => undefined), 1000);
    }, this.#o.timeoutMs);
    try {
      const future = kernel.requestExecute({ code, store_history: true, allow_stdin: false });
      future.onIOPub = (msg: KernelMessage.IIOPubMessage) => {
        const type = msg.header.msg_type;
        if (type === 'status' || type === 'execute_input') return;
        onOutput(type, msg.content as Record<string, unknown>);
      };
      const reply = await future.done;
      const content = reply.content as KernelMessage.IExecuteReplyMsg['content'];
      if (timedOut) return { status: 'timeout', executionCount: content.execution_count ?? undefined };
      return { status: content.status === 'ok' ? 'ok' : 'error', executionCount: content.execution_count ?? undefined };
    } finally {
      clearTimeout(timer);
      clearInterval(repeat);
      entry.running--;
      entry.lastUsed = Date.now();
    }
  }

  async interrupt(visitor: string, page: string): Promise<boolean> {
    const entry = await this.#existing(visitor, page);
    if (!entry?.session.kernel) return false;
    await entry.session.kernel.interrupt();
    return true;
  }

  /** A fresh kernel for the page: everything defined so far is gone. */
  async restart(visitor: string, page: string): Promise<void> {
    const entry = await this.#existing(visitor, page);
    if (entry?.session.kernel) await entry.session.kernel.restart();
  }

  /** Shuts down the page's kernel (a new one starts with the next execution). */
  async release(visitor: string, page: string): Promise<void> {
    await this.#close(key(visitor, page));
  }

  #close(k: string): Promise<unknown> {
    const p = this.#entries.get(k);
    this.#entries.delete(k);
    if (!p) return this.#closing.get(k) ?? Promise.resolve();
    const closing = p.then((e) => e.session.shutdown(), () => undefined).catch(() => undefined).finally(() => {
      if (this.#closing.get(k) === closing) this.#closing.delete(k);
    });
    this.#closing.set(k, closing);
    return closing;
  }

  /** Shuts down kernels nobody has used for `idleMs`. */
  async cullIdle(now = Date.now()): Promise<number> {
    let n = 0;
    for (const [k, p] of this.#entries) {
      const e = await p.catch(() => undefined);
      if (this.#entries.get(k) !== p) continue;
      if (!e || (e.running === 0 && now - e.lastUsed > this.#o.idleMs)) {
        await this.#close(k);
        n++;
      }
    }
    return n;
  }

  async dispose(): Promise<void> {
    clearInterval(this.#cull);
    await Promise.allSettled([...this.#entries.values()].map(async (p) => (await p).session.shutdown()));
    this.#entries.clear();
    this.#sessions.dispose();
  }

  async #existing(visitor: string, page: string): Promise<Entry | undefined> {
    return this.#entries.get(key(visitor, page))?.catch(() => undefined);
  }

  #entry(visitor: string, page: string): Promise<Entry> {
    const k = key(visitor, page);
    const existing = this.#entries.get(k);
    if (existing) return existing;
    if (this.#entries.size >= this.#o.maxKernels) {
      throw new BusyError(`all ${this.#o.maxKernels} kernels are in use; try again in a minute`);
    }
    const starting = this.#start(visitor, page);
    this.#entries.set(k, starting);
    starting.catch(() => this.#entries.delete(k));
    return starting;
  }

  /**
   * A visitor's folder mirrors the repository (lessons/, notebooks/, examples/), so cells run with
   * the same relative paths as in the repo; what a cell writes stays in the visitor's folder.
   */
  async #start(visitor: string, page: string): Promise<Entry> {
    await this.#closing.get(key(visitor, page));
    const folder = path.join('visitors', visitor);
    const abs = path.join(this.#o.rootDir, folder);
    await mkdir(path.join(abs, 'lessons'), { recursive: true });
    await mkdir(path.join(abs, 'notebooks'), { recursive: true });
    const link = (target: string, at: string) => symlink(target, path.join(abs, at), 'dir').catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    await link(this.#o.dataDir, 'lessons/data');
    await link(this.#o.examplesDir, 'examples');
    // The session's path decides the kernel's working folder: lessons/ or notebooks/ of the visitor.
    const session = await this.#sessions.startNew({ path: `${folder}/${page}.ipynb`, type: 'notebook', name: page, kernel: { name: 'odibi' } });
    return { session, lastUsed: Date.now(), running: 0 };
  }

  /** Removes a visitor's folder (tests; a visitor's files otherwise stay for the session). */
  async forget(visitor: string): Promise<void> {
    await rm(path.join(this.#o.rootDir, 'visitors', visitor), { recursive: true, force: true });
  }
}

function key(visitor: string, page: string): string {
  return `${visitor}\u0000${page}`;
}

let shared: KernelGateway | undefined;

/** The gateway of this server process, configured by the environment the site's scripts set. */
export function gateway(): KernelGateway {
  if (shared) return shared;
  const baseUrl = process.env.ODIBI_JUPYTER_URL;
  const token = process.env.ODIBI_JUPYTER_TOKEN;
  const rootDir = process.env.ODIBI_JUPYTER_ROOT;
  if (!baseUrl || !token || !rootDir) {
    throw new Error('no Jupyter server is configured (ODIBI_JUPYTER_URL, ODIBI_JUPYTER_TOKEN, ODIBI_JUPYTER_ROOT); start the site with `npm start`');
  }
  shared = new KernelGateway({
    baseUrl, token, rootDir,
    dataDir: process.env.ODIBI_DATA_DIR ?? path.resolve(process.cwd(), '../examples/iot/data'),
    examplesDir: process.env.ODIBI_EXAMPLES_DIR ?? path.resolve(process.cwd(), '../examples'),
    maxKernels: Number(process.env.ODIBI_MAX_KERNELS ?? 8),
    idleMs: Number(process.env.ODIBI_KERNEL_IDLE_MS ?? 15 * 60_000),
    timeoutMs: Number(process.env.ODIBI_CELL_TIMEOUT_MS ?? 60_000),
  });
  return shared;
}
