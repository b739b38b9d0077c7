/**
 * The OutputSink of one execute request: iopub messages parented to the request. Stream text is
 * batched (a print loop becomes a few messages, not thousands) and flushed before any other
 * output so the order the user wrote things in is kept.
 */
import type { MimeBundle, OutputSink } from './handler.js';

const FLUSH_MS = 20;
const MAX_BATCH = 64 * 1024;

export class IopubSink implements OutputSink {
  readonly #publish: (type: string, content: Record<string, unknown>) => void;
  #pending: { name: 'stdout' | 'stderr'; text: string } | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(publish: (type: string, content: Record<string, unknown>) => void) {
    this.#publish = publish;
  }

  stream(name: 'stdout' | 'stderr', text: string): void {
    if (!text) return;
    if (this.#pending && this.#pending.name !== name) this.flush();
    if (this.#pending) this.#pending.text += text;
    else this.#pending = { name, text };
    if (this.#pending.text.length >= MAX_BATCH) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  display(data: MimeBundle, metadata: Record<string, unknown> = {}, displayId?: string): void {
    this.flush();
    this.#publish('display_data', { data, metadata, transient: displayId ? { display_id: displayId } : {} });
  }

  updateDisplay(data: MimeBundle, metadata: Record<string, unknown>, displayId: string): void {
    this.flush();
    this.#publish('update_display_data', { data, metadata, transient: { display_id: displayId } });
  }

  clearOutput(wait = false): void {
    this.flush();
    this.#publish('clear_output', { wait });
  }

  /** Sends buffered stream text now. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const p = this.#pending;
    this.#pending = undefined;
    if (p) this.#publish('stream', { name: p.name, text: p.text });
  }
}
