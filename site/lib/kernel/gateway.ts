/**
 * The site's side of executable cells: one odibi kernel per visitor and page (cells of a page
 * share it, like a notebook), started through the Jupyter server with @jupyterlab/services. Only
 * this server module knows the Jupyter URL and token; the browser talks to /api/kernel/*.
 *
 * The lifecycle is one learners can live with:
 * - a visitor holds at most `maxPerVisitor` kernels: a new page takes the one used longest ago;
 * - at `maxKernels` in all, a kernel idle for `evictIdleMs` goes to whoever needs one; if none is,
 *   the visitor is told when one frees up;
 * - a cell running past `timeoutMs` is interrupted, and its kernel restarted if it is still busy;
 * - every kernel has a token (`kernel` in each result). A client names the last one it saw in
 *   `after`; if the page's kernel has changed since (culled, restarted, out of memory), the cell is
 *   not run and the client is told why, so it can offer to run the cells above first.
 *
 * Kernels run in a folder named by a server-side id (never by anything a visitor sends); under the
 * sandbox that folder only decides the working folder inside, where the visitor's files live.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { ServerConnection, SessionManager, KernelManager, type Kernel, type KernelMessage, type Session } from '@jupyterlab/services';
import { kernelCpuSeconds, readKernelExit } from '@odibi/kernel/sandbox-status';
import WebSocket from 'ws';

export class BusyError extends Error {
  /** When trying again has a chance. */
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number) {
    super(message);
    this.name = 'BusyError';
    this.retryAfterMs = retryAfterMs;
  }
}

export interface GatewayOptions {
  baseUrl: string;
  token: string;
  /** The Jupyter server's root folder: kernels' folders are made under it. */
  rootDir: string;
  /** Linked as `lessons/data/` in an unsandboxed kernel's folder (the sandbox mounts it itself). */
  dataDir: string;
  /** Linked as `examples/` beside it: notebook cells read `../examples/iot/data/...`, as in the repo. */
  examplesDir: string;
  /** Kernels at once, for everyone. */
  maxKernels: number;
  /** Kernels one visitor may hold (pages with code they ran). */
  maxPerVisitor?: number;
  /** A kernel unused this long is shut down. */
  idleMs: number;
  /** At the cap, a kernel unused this long may be shut down for another visitor. */
  evictIdleMs?: number;
  /** A cell running longer is interrupted. */
  timeoutMs: number;
  /** After the interrupt, how long a cell has to stop before its kernel is restarted. */
  graceMs?: number;
  /** Where sandboxed kernels report their CPU time and why they stopped. */
  sandboxStateDir?: string;
}

export interface ExecuteOptions {
  /** The kernel token the client last saw on this page (none: a fresh page). */
  after?: string;
  /** Run even if the kernel changed since `after` (the learner chose to). */
  force?: boolean;
}

export interface ExecuteResult {
  /** `lost`: the page's kernel is not the one the client knew; the cell did not run (or was cut off). */
  status: 'ok' | 'error' | 'timeout' | 'lost';
  executionCount?: number;
  /** The page's kernel now, for the client's next `after` ('' if none is running). */
  kernel: string;
  /** For `lost` and `timeout`: what happened, in a sentence for the learner. */
  message?: string;
}

type Output = (type: string, content: Record<string, unknown>) => void;

interface Entry {
  /** Server-side id: the kernel's folder and session path. */
  readonly id: string;
  readonly visitor: string;
  readonly page: string;
  readonly ready: Promise<Session.ISessionConnection>;
  session?: Session.ISessionConnection;
  /** Bumped by every restart: the token is `${id}.${generation}`. */
  generation: number;
  lastUsed: number;
  running: number;
  runStartedAt: number;
  /** A restart this gateway asked for (its reason is recorded by whoever asked). */
  restarting: boolean;
  /** Jupyter restarted the kernel on its own, and the restart is not over yet. */
  autoRestart: boolean;
  startedAt: number;
}

/**
 * Jupyter notebook 6 speaks no kernel websocket subprotocol. Asked for one, the `ws` client drops
 * the first connection and @jupyterlab/services reconnects, leaving that connection's
 * kernel_info request pending until a later restart cancels it as an unhandled rejection. So
 * none is asked for.
 */
class LegacyWebSocket extends WebSocket {
  constructor(url: string) {
    super(url);
  }
}

const MAX_REMEMBERED = 10_000;
const BOOT_LIMIT_MS = 60_000;

/**
 * Resolves once the kernel has answered: `first` resolves, or a kernel_info request asked every
 * `everyMs` is answered (one sent before the kernel listens, or cancelled by a restart, is never
 * answered). Rejects after BOOT_LIMIT_MS: a kernel that cannot start must not hold a request forever.
 */
function answering(kernel: Kernel.IKernelConnection, first: Promise<unknown>, everyMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = (settle: () => void) => {
      clearInterval(ask);
      clearTimeout(limit);
      settle();
    };
    const answered = (reply: unknown) => {
      if (reply) finish(resolve);
    };
    const ask = setInterval(() => void kernel.requestKernelInfo().then(answered, () => undefined), everyMs);
    const limit = setTimeout(() => finish(() => reject(new Error(`the kernel did not start within ${seconds(BOOT_LIMIT_MS)}; try again, or restart it`))), BOOT_LIMIT_MS);
    first.then(answered, () => undefined);
  });
}

function minutes(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m >= 1 ? `${m} minute${m === 1 ? '' : 's'}` : `${Math.round(ms / 1000)} seconds`;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

export function lostMessage(reason: string): string {
  return `The kernel for this page was restarted: ${reason}. Everything the cells above defined is gone.`;
}

export class KernelGateway {
  readonly #o: Required<Omit<GatewayOptions, 'sandboxStateDir'>> & Pick<GatewayOptions, 'sandboxStateDir'>;
  readonly #sessions: SessionManager;
  readonly #entries = new Map<string, Entry>();
  /** Why kernels that clients may still name in `after` went away: token → reason. */
  readonly #ended = new Map<string, string>();
  /**
   * Shutdowns in progress: Jupyter keys sessions by path, and a page's path changes with every
   * kernel, but the folder is removed only once the old session is gone.
   */
  readonly #closing = new Set<Promise<unknown>>();
  readonly #cull: NodeJS.Timeout;

  constructor(options: GatewayOptions) {
    this.#o = { maxPerVisitor: 3, evictIdleMs: 2 * 60_000, graceMs: 2000, ...options };
    const wsUrl = options.baseUrl.replace(/^http/, 'ws');
    const settings = ServerConnection.makeSettings({ baseUrl: options.baseUrl, wsUrl, token: options.token, appendToken: true, WebSocket: LegacyWebSocket as never });
    this.#sessions = new SessionManager({ serverSettings: settings, kernelManager: new KernelManager({ serverSettings: settings }) });
    this.#cull = setInterval(() => void this.cullIdle(), Math.min(60_000, Math.max(1000, options.idleMs / 2)));
    this.#cull.unref();
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Runs `code` on the visitor's kernel for `page`, handing each output message to `onOutput`. */
  async execute(visitor: string, page: string, code: string, onOutput: Output, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    const existing = this.#entries.get(key(visitor, page));
    if (options.after && !options.force && options.after !== (existing && token(existing))) {
      const reason = this.#ended.get(options.after) ?? 'it was shut down';
      return { status: 'lost', kernel: existing ? token(existing) : '', message: lostMessage(reason) };
    }
    const entry = existing ?? this.#open(visitor, page);
    // In use from now on: a kernel that is still starting must not be culled or evicted.
    entry.running++;
    entry.lastUsed = Date.now();
    try {
      return await this.#run(entry, code, onOutput);
    } finally {
      entry.running--;
      entry.lastUsed = Date.now();
    }
  }

  async #run(entry: Entry, code: string, onOutput: Output): Promise<ExecuteResult> {
    const { visitor, page } = entry;
    const session = await entry.ready;
    const kernel = session.kernel;
    if (!kernel) throw new Error('the kernel is gone; restart it');
    // A cold kernel's boot does not count against the cell's time (but has its own limit). The
    // kernel_info request sent on connecting can be lost: it is asked again every 5 s.
    await answering(kernel, kernel.info, 5000);
    entry.runStartedAt = Date.now();
    const generation = entry.generation;
    let timedOut = false;
    let repeat: NodeJS.Timeout | undefined;
    let stuck: NodeJS.Timeout | undefined;
    let restartedStuck: Promise<unknown> | undefined;
    // An interrupt that lands while the cell is still compiling is lost, so it is sent again every
    // second; a cell that still has not stopped after the grace period loses its kernel.
    const timer = setTimeout(() => {
      timedOut = true;
      void kernel.interrupt().catch(() => undefined);
      repeat = setInterval(() => void kernel.interrupt().catch(() => undefined), 1000);
      stuck = setTimeout(() => {
        clearInterval(repeat);
        restartedStuck = this.#restartFor(entry, this.#timeoutReason());
      }, this.#o.graceMs);
    }, this.#o.timeoutMs);
    try {
      const future = kernel.requestExecute({ code, store_history: true, allow_stdin: false });
      future.onIOPub = (msg: KernelMessage.IIOPubMessage) => {
        const type = msg.header.msg_type;
        if (type === 'status' || type === 'execute_input') return;
        onOutput(type, msg.content as Record<string, unknown>);
      };
      let content: KernelMessage.IExecuteReplyMsg['content'];
      try {
        content = (await future.done).content as KernelMessage.IExecuteReplyMsg['content'];
      } catch {
        // The future is cancelled when the kernel restarts under it: ours (stuck), or Jupyter's
        // (the kernel died: out of memory, crashed).
        clearTimeout(stuck);
        await restartedStuck;
        if (restartedStuck) return { status: 'timeout', kernel: token(entry), message: this.#timeoutMessage(true) };
        if (this.#entries.get(key(visitor, page)) !== entry) return { status: 'lost', kernel: '', message: this.#lostDuringRun(entry, generation) };
        await this.#settled(entry, generation);
        return { status: 'lost', kernel: token(entry), message: this.#lostDuringRun(entry, generation) };
      }
      clearTimeout(stuck);
      if (restartedStuck) {
        await restartedStuck;
        return { status: 'timeout', kernel: token(entry), message: this.#timeoutMessage(true) };
      }
      if (timedOut) {
        // Interrupted in time; but a loop the cell started may still be spinning in the background.
        const restarted = await this.#stillBusy(kernel) ? (await this.#restartFor(entry, this.#timeoutReason()), true) : false;
        return { status: 'timeout', executionCount: content.execution_count ?? undefined, kernel: token(entry), message: this.#timeoutMessage(restarted) };
      }
      return { status: content.status === 'ok' ? 'ok' : 'error', executionCount: content.execution_count ?? undefined, kernel: token(entry) };
    } finally {
      clearTimeout(timer);
      clearInterval(repeat);
      clearTimeout(stuck);
    }
  }

  #timeoutReason(): string {
    return `a cell ran past the ${seconds(this.#o.timeoutMs)} limit and did not stop when interrupted`;
  }

  #timeoutMessage(restarted: boolean): string {
    const limit = `The cell ran past the ${seconds(this.#o.timeoutMs)} limit`;
    return restarted
      ? `${limit} and kept running after it was interrupted, so its kernel was restarted. Everything the cells above defined is gone.`
      : `${limit} and was interrupted.`;
  }

  /**
   * Whether the kernel still burns CPU a second after its cell was interrupted: an idle kernel uses
   * almost none, and a loop left spinning gets a tenth of a core even on a crowded machine.
   */
  async #stillBusy(kernel: Kernel.IKernelConnection): Promise<boolean> {
    const dir = this.#o.sandboxStateDir;
    if (!dir) return false;
    // Two windows in a row: the kernel's own work right after an interrupt (the error reply, a
    // collection) can fill the first, never both; a loop left spinning fills every window.
    for (let window = 0; window < 2; window++) {
      const before = kernelCpuSeconds(dir, kernel.id);
      await new Promise((r) => setTimeout(r, 1000));
      const after = kernelCpuSeconds(dir, kernel.id);
      if (before === undefined || after === undefined || after - before <= 0.1) return false;
    }
    return true;
  }

  /** Waits until a restart Jupyter began on its own is over (the kernel answers again). */
  async #settled(entry: Entry, generation: number): Promise<void> {
    for (let i = 0; i < 100 && (entry.generation === generation || entry.autoRestart); i++) await new Promise((r) => setTimeout(r, 100));
  }

  #lostDuringRun(entry: Entry, generation: number): string {
    const reason = this.#ended.get(`${entry.id}.${generation}`) ?? 'it stopped while the cell ran';
    return lostMessage(reason);
  }

  async interrupt(visitor: string, page: string): Promise<boolean> {
    const entry = this.#entries.get(key(visitor, page));
    const kernel = (await entry?.ready.catch(() => undefined))?.kernel;
    if (!kernel) return false;
    await kernel.interrupt();
    return true;
  }

  /** A fresh kernel for the page: everything defined so far is gone. Returns its token. */
  async restart(visitor: string, page: string): Promise<string> {
    const entry = this.#entries.get(key(visitor, page));
    if (!entry) return '';
    await this.#restartFor(entry, 'you restarted it');
    return token(entry);
  }

  /** Restarts the page's kernel for `reason`; never throws (a kernel that is gone stays gone). */
  async #restartFor(entry: Entry, reason: string): Promise<void> {
    const kernel = (await entry.ready.catch(() => undefined))?.kernel;
    if (!kernel) return;
    this.#remember(token(entry), reason);
    entry.restarting = true;
    try {
      // Jupyter answers once the new kernel has replied to kernel_info. Requests still pending on
      // the old one are cancelled, and @jupyterlab/services may report that as a failure.
      await kernel.restart().catch(() => undefined);
      // The restart call can come back (or fail, on a loaded machine) before the new kernel
      // listens, and a cell sent then is never answered: wait until the kernel answers.
      await answering(kernel, kernel.requestKernelInfo(), 2000).catch(() => undefined);
    } finally {
      entry.generation++;
      entry.restarting = false;
    }
  }

  /** Shuts down the page's kernel (the learner left the page). */
  async release(visitor: string, page: string): Promise<void> {
    const entry = this.#entries.get(key(visitor, page));
    if (entry) await this.#close(entry, 'it was shut down when you left the page');
  }

  #close(entry: Entry, reason: string): Promise<unknown> {
    if (this.#entries.get(key(entry.visitor, entry.page)) !== entry) return Promise.resolve();
    this.#entries.delete(key(entry.visitor, entry.page));
    this.#remember(token(entry), reason);
    const closing = entry.ready
      .then((s) => s.shutdown())
      .catch(() => undefined)
      .then(() => rm(path.join(this.#o.rootDir, entry.id), { recursive: true, force: true }))
      .finally(() => this.#closing.delete(closing));
    this.#closing.add(closing);
    return closing;
  }

  #remember(tok: string, reason: string): void {
    this.#ended.set(tok, reason);
    if (this.#ended.size > MAX_REMEMBERED) this.#ended.delete(this.#ended.keys().next().value!);
  }

  /** Shuts down kernels nobody has used for `idleMs`. */
  async cullIdle(now = Date.now()): Promise<number> {
    const idle = [...this.#entries.values()].filter((e) => e.running === 0 && now - e.lastUsed > this.#o.idleMs);
    await Promise.all(idle.map((e) => this.#close(e, `it was idle for ${minutes(this.#o.idleMs)} and was shut down`)));
    return idle.length;
  }

  async dispose(): Promise<void> {
    clearInterval(this.#cull);
    await Promise.allSettled([...this.#entries.values()].map((e) => this.#close(e, 'the site stopped')));
    await Promise.allSettled([...this.#closing]);
    this.#sessions.dispose();
  }

  /** A new entry for the page, making room first: the visitor's own cap, then everyone's. */
  #open(visitor: string, page: string): Entry {
    const now = Date.now();
    const mine = [...this.#entries.values()].filter((e) => e.visitor === visitor);
    if (mine.length >= this.#o.maxPerVisitor) {
      const oldest = mine.filter((e) => e.running === 0).sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (!oldest) {
        throw new BusyError(`you are running code on ${mine.length} pages at once; let one finish (or interrupt it) first`, this.#waitFor(mine, now));
      }
      void this.#close(oldest, `you opened more than ${this.#o.maxPerVisitor} pages with code, and this one had been used longest ago`);
    }
    if (this.#entries.size >= this.#o.maxKernels) {
      const evictable = [...this.#entries.values()].filter((e) => e.running === 0 && now - e.lastUsed >= this.#o.evictIdleMs).sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (!evictable) {
        const wait = this.#waitFor([...this.#entries.values()], now);
        throw new BusyError(`all ${this.#o.maxKernels} kernels are in use by other learners; one frees up in about ${wait < 90_000 ? `${Math.ceil(wait / 1000)} seconds` : minutes(wait)}; try again then`, wait);
      }
      void this.#close(evictable, `another learner needed a kernel after this one had been idle for ${minutes(now - evictable.lastUsed)}`);
    }
    const id = randomBytes(12).toString('hex');
    const entry: Entry = {
      id, visitor, page, generation: 0, lastUsed: now, running: 0, runStartedAt: 0, restarting: false, autoRestart: false, startedAt: now,
      ready: undefined as never,
    };
    (entry as { ready: Promise<Session.ISessionConnection> }).ready = this.#start(entry);
    entry.ready.catch(() => {
      if (this.#entries.get(key(visitor, page)) === entry) this.#entries.delete(key(visitor, page));
    });
    this.#entries.set(key(visitor, page), entry);
    return entry;
  }

  /** When one of these kernels can next be had: idle ones after `evictIdleMs`, running ones at worst after their timeout. */
  #waitFor(entries: Entry[], now: number): number {
    const waits = entries.map((e) => (e.running ? e.runStartedAt + this.#o.timeoutMs + this.#o.graceMs : e.lastUsed) + this.#o.evictIdleMs - now);
    return Math.max(1000, Math.min(...waits));
  }

  /**
   * The kernel's folder mirrors the repository (lessons/, notebooks/, examples/), so cells run with
   * the same relative paths as in the repo. Sandboxed kernels build the same layout inside.
   */
  async #start(entry: Entry): Promise<Session.ISessionConnection> {
    const [kind, slug] = entry.page.split('/');
    const abs = path.join(this.#o.rootDir, entry.id);
    await mkdir(path.join(abs, 'lessons'), { recursive: true });
    await mkdir(path.join(abs, 'notebooks'), { recursive: true });
    if (!this.#o.sandboxStateDir) {
      await symlink(this.#o.dataDir, path.join(abs, 'lessons/data'), 'dir');
      await symlink(this.#o.examplesDir, path.join(abs, 'examples'), 'dir');
    }
    // The session's path decides the kernel's working folder: lessons/ or notebooks/.
    const session = await this.#sessions.startNew({ path: `${entry.id}/${kind}/${slug}.ipynb`, type: 'notebook', name: slug, kernel: { name: 'odibi' } });
    entry.session = session;
    session.kernel?.statusChanged.connect((_, status) => this.#onStatus(entry, status));
    return session;
  }

  /** Restarts Jupyter does on its own (the kernel died) and kernels that are gone for good. */
  #onStatus(entry: Entry, status: Kernel.Status): void {
    if (entry.restarting) return;
    // @jupyterlab/services says `autorestarting` only for restarts the server made by itself.
    if (status === 'autorestarting') {
      if (entry.autoRestart) return;
      entry.autoRestart = true;
      this.#remember(token(entry), this.#whyStopped(entry));
      entry.generation++;
    } else if (status === 'dead') {
      void this.#close(entry, this.#whyStopped(entry));
    } else if (status === 'idle' || status === 'busy' || status === 'starting') {
      entry.autoRestart = false;
    }
  }

  #whyStopped(entry: Entry): string {
    const id = entry.session?.kernel?.id;
    const exit = id && this.#o.sandboxStateDir ? readKernelExit(this.#o.sandboxStateDir, id, entry.startedAt) : undefined;
    return exit && exit.reason !== 'stopped' ? exit.message : 'it stopped unexpectedly';
  }
}

function key(visitor: string, page: string): string {
  return `${visitor}\u0000${page}`;
}

function token(e: Entry): string {
  return `${e.id}.${e.generation}`;
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
  const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  shared = new KernelGateway({
    baseUrl, token, rootDir,
    dataDir: process.env.ODIBI_DATA_DIR ?? path.resolve(process.cwd(), '../examples/iot/data'),
    examplesDir: process.env.ODIBI_EXAMPLES_DIR ?? path.resolve(process.cwd(), '../examples'),
    maxKernels: num('ODIBI_MAX_KERNELS', 8),
    maxPerVisitor: num('ODIBI_MAX_KERNELS_PER_VISITOR', 3),
    idleMs: num('ODIBI_KERNEL_IDLE_MS', 15 * 60_000),
    evictIdleMs: num('ODIBI_KERNEL_EVICT_IDLE_MS', 2 * 60_000),
    timeoutMs: num('ODIBI_CELL_TIMEOUT_MS', 60_000),
    sandboxStateDir: process.env.ODIBI_SANDBOX_STATE || undefined,
  });
  return shared;
}
