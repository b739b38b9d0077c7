/**
 * The kernel's sockets: binds shell, control, iopub, stdin and heartbeat from a connection file,
 * runs shell requests one at a time in arrival order, answers control requests (interrupt,
 * shutdown) at once, and reports busy/idle around each. Every send goes through a SendQueue.
 */
import { readFile } from 'node:fs/promises';
import * as zmq from 'zeromq';
import type { KernelHandler } from './handler.js';
import { History, type HistoryQuery } from './history.js';
import { IopubSink } from './iopub-sink.js';
import { SendQueue } from './send-queue.js';
import { child, decode, encode, PROTOCOL_VERSION, type Message } from './wire.js';

export interface ConnectionInfo {
  transport: string;
  ip: string;
  key: string;
  signature_scheme?: string;
  shell_port: number;
  control_port: number;
  iopub_port: number;
  stdin_port: number;
  hb_port: number;
}

/**
 * Jupyter's form of a socket address: `tcp://ip:port`, or for `ipc` (Unix sockets, no network
 * needed) the path `ip-port`, which is where jupyter_client connects.
 */
export function endpoint(conn: Pick<ConnectionInfo, 'transport' | 'ip'>, port: number): string {
  return conn.transport === 'ipc' ? `ipc://${conn.ip}-${port}` : `${conn.transport}://${conn.ip}:${port}`;
}

export class KernelServer {
  readonly #handler: KernelHandler;
  readonly #conn: ConnectionInfo;
  readonly #shell = new zmq.Router();
  readonly #control = new zmq.Router();
  // A PUB socket drops messages past its high-water mark; a cell's outputs must never be dropped.
  readonly #iopub = new zmq.Publisher({ sendHighWaterMark: 0 });
  readonly #stdin = new zmq.Router();
  readonly #hb = new zmq.Reply();
  readonly #shellOut = new SendQueue(this.#shell);
  readonly #controlOut = new SendQueue(this.#control);
  readonly #iopubOut = new SendQueue(this.#iopub);
  #executionCount = 0;
  readonly #history = new History();
  #shellQueue: Promise<void> = Promise.resolve();
  #closed = false;
  #resolveClosed!: () => void;
  /** Resolves after a shutdown request has been answered and the sockets are closed. */
  readonly closed = new Promise<void>((resolve) => {
    this.#resolveClosed = resolve;
  });

  constructor(conn: ConnectionInfo, handler: KernelHandler) {
    this.#conn = conn;
    this.#handler = handler;
  }

  static async fromFile(file: string, handler: KernelHandler): Promise<KernelServer> {
    return new KernelServer(JSON.parse(await readFile(file, 'utf8')) as ConnectionInfo, handler);
  }

  async start(): Promise<void> {
    const addr = (port: number) => endpoint(this.#conn, port);
    await Promise.all([
      this.#shell.bind(addr(this.#conn.shell_port)),
      this.#control.bind(addr(this.#conn.control_port)),
      this.#iopub.bind(addr(this.#conn.iopub_port)),
      this.#stdin.bind(addr(this.#conn.stdin_port)),
      this.#hb.bind(addr(this.#conn.hb_port)),
    ]);
    void this.#loop(this.#shell, (msg) => {
      // Shell requests run strictly one after another, like a Python kernel's.
      this.#shellQueue = this.#shellQueue.then(() => this.#dispatch(msg, this.#shellOut));
    });
    void this.#loop(this.#control, (msg) => void this.#dispatch(msg, this.#controlOut));
    void (async () => {
      for await (const frames of this.#hb) {
        if (this.#closed) break;
        await this.#hb.send(frames);
      }
    })().catch(() => undefined);
  }

  async #loop(socket: zmq.Router, onMessage: (msg: Message) => void): Promise<void> {
    try {
      for await (const frames of socket) {
        let msg: Message;
        try {
          msg = decode(frames as Buffer[], this.#conn.key);
        } catch (err) {
          process.stderr.write(`odibi-kernel: dropped a message: ${(err as Error).message}\n`);
          continue;
        }
        onMessage(msg);
      }
    } catch (err) {
      if (!this.#closed) process.stderr.write(`odibi-kernel: socket loop ended: ${(err as Error).message}\n`);
    }
  }

  #publish(parent: Message, type: string, content: Record<string, unknown>): void {
    void this.#iopubOut.send(encode(child(parent, type, content, [Buffer.from(`kernel.${type}`)]), this.#conn.key));
  }

  /** Queues a reply; the queue keeps order, so the caller need not wait for ZeroMQ. */
  #reply(out: SendQueue, request: Message, type: string, content: Record<string, unknown>): void {
    void out.send(encode(child(request, type, content), this.#conn.key));
  }

  async #dispatch(msg: Message, out: SendQueue): Promise<void> {
    this.#publish(msg, 'status', { execution_state: 'busy' });
    try {
      await this.#handle(msg, out);
    } catch (err) {
      process.stderr.write(`odibi-kernel: ${msg.header.msg_type} failed: ${(err as Error).stack ?? err}\n`);
    } finally {
      this.#publish(msg, 'status', { execution_state: 'idle' });
    }
  }

  async #handle(msg: Message, out: SendQueue): Promise<void> {
    const c = msg.content as Record<string, unknown>;
    switch (msg.header.msg_type) {
      case 'kernel_info_request': {
        const info = this.#handler.info();
        return this.#reply(out, msg, 'kernel_info_reply', {
          status: 'ok', protocol_version: PROTOCOL_VERSION, implementation: info.implementation,
          implementation_version: info.implementationVersion, language_info: info.languageInfo, banner: info.banner, help_links: [],
        });
      }
      case 'execute_request':
        return this.#execute(msg, out);
      case 'complete_request': {
        const r = await this.#handler.complete(String(c.code ?? ''), Number(c.cursor_pos ?? 0));
        return this.#reply(out, msg, 'complete_reply', { status: 'ok', matches: r.matches, cursor_start: r.cursorStart, cursor_end: r.cursorEnd, metadata: {} });
      }
      case 'inspect_request': {
        const r = this.#handler.inspect(String(c.code ?? ''), Number(c.cursor_pos ?? 0));
        return this.#reply(out, msg, 'inspect_reply', { status: 'ok', found: r.found, data: r.data, metadata: {} });
      }
      case 'is_complete_request':
        return this.#reply(out, msg, 'is_complete_reply', { ...this.#handler.isComplete(String(c.code ?? '')) });
      case 'comm_info_request':
        return this.#reply(out, msg, 'comm_info_reply', { status: 'ok', comms: {} });
      case 'history_request':
        return this.#reply(out, msg, 'history_reply', { status: 'ok', history: this.#history.query(c as HistoryQuery) });
      case 'interrupt_request':
        this.#handler.interrupt();
        return this.#reply(out, msg, 'interrupt_reply', { status: 'ok' });
      case 'shutdown_request':
        this.#reply(out, msg, 'shutdown_reply', { status: 'ok', restart: Boolean(c.restart) });
        await this.close();
        return;
      default:
        process.stderr.write(`odibi-kernel: unhandled message type ${msg.header.msg_type}\n`);
    }
  }

  async #execute(msg: Message, out: SendQueue): Promise<void> {
    const c = msg.content as { code?: string; silent?: boolean; store_history?: boolean };
    const code = String(c.code ?? '');
    const silent = Boolean(c.silent);
    const stored = !silent && c.store_history !== false;
    if (stored) this.#executionCount++;
    const count = this.#executionCount;
    if (stored) this.#history.add({ line: count, input: code });
    if (!silent) this.#publish(msg, 'execute_input', { code, execution_count: count });
    // Hand busy and execute_input to ZeroMQ before the cell's synchronous work starts, so the client
    // reads them while the cell runs instead of after it (they were queued but not yet sent).
    await this.#iopubOut.drained();
    const sink = new IopubSink((type, content) => this.#publish(msg, type, content));
    const result = await this.#handler.execute(code, sink, { silent, executionCount: count });
    sink.flush();
    if (result.status === 'ok') {
      if (result.data && !silent) this.#publish(msg, 'execute_result', { execution_count: count, data: result.data, metadata: result.metadata ?? {} });
      if (stored && typeof result.data?.['text/plain'] === 'string') this.#history.setOutput(count, result.data['text/plain']);
      this.#reply(out, msg, 'execute_reply', { status: 'ok', execution_count: count, user_expressions: {}, payload: [] });
    } else {
      this.#publish(msg, 'error', { ename: result.ename, evalue: result.evalue, traceback: result.traceback });
      this.#reply(out, msg, 'execute_reply', { status: 'error', execution_count: count, ename: result.ename, evalue: result.evalue, traceback: result.traceback });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handler.shutdown();
    await Promise.all([this.#shellOut.drained(), this.#controlOut.drained(), this.#iopubOut.drained()]);
    for (const s of [this.#shell, this.#control, this.#iopub, this.#stdin, this.#hb]) s.close();
    this.#resolveClosed();
  }
}
