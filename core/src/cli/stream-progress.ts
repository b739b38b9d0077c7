/**
 * Human output of `odibi stream`: a line per committed batch (id, input, rows, duration, lag) and,
 * on a terminal, a live status line below them (waiting since…, or the batch running).
 */
import { createLogUpdate } from 'log-update';
import type { StreamEvent } from '../stream/events.js';
import { count, duration, painter, plural } from './format.js';

export class StreamProgress {
  readonly #out: NodeJS.WriteStream;
  readonly #paint: ReturnType<typeof painter>;
  readonly #live?: ReturnType<typeof createLogUpdate>;
  #status = '';
  #since = Date.now();
  #timer?: NodeJS.Timeout;

  constructor(out: NodeJS.WriteStream = process.stdout) {
    this.#out = out;
    this.#paint = painter(out);
    if (out.isTTY && process.env.CI === undefined) {
      this.#live = createLogUpdate(out, { showCursor: true });
      this.#timer = setInterval(() => this.#render(), 250);
      this.#timer.unref();
    }
  }

  readonly handle = (e: StreamEvent): void => {
    const p = this.#paint;
    switch (e.type) {
      case 'stream_start': {
        const sources = e.sources.map((s) => `${s.step} (${s.mode}${s.endpoint ? ` on ${s.endpoint}` : ''})`).join(', ');
        this.#print(p('bold', `Streaming ${e.stream}`) + p('dim', ` — ${sources}; state in ${e.stateDir}`));
        if (e.lastCommitted !== undefined) this.#print(p('dim', `  resuming after batch ${e.lastCommitted}`));
        if (e.replaying !== undefined) this.#print(p('yellow', `  batch ${e.replaying} was planned but not committed: replaying it with the same input`));
        return;
      }
      case 'batch_start':
        this.#set(`batch ${e.batchId} running (${plural(Object.values(e.inputs).reduce((a, b) => a + b, 0), 'input file')})`);
        return;
      case 'batch_end': {
        if (e.status === 'failed') {
          this.#print(`${p('red', '✗')} batch ${e.batchId} failed after ${duration(e.durationMs)}: ${e.error?.message ?? ''}`);
          return;
        }
        const lag = e.lagMs === undefined ? '' : p('dim', ` · lag ${duration(e.lagMs)}`);
        this.#print(`${p('green', '✓')} batch ${e.batchId}${e.replay ? p('yellow', ' (replay)') : ''}  ${count(e.rowsIn)} rows in → ${count(e.rowsOut)} written  ${p('dim', duration(e.durationMs))}${lag}`);
        return;
      }
      case 'stream_waiting':
        this.#since = Date.now() - e.idleMs;
        this.#set('waiting for input');
        return;
      case 'stream_log':
        this.#print(p('yellow', `  ${e.message}`));
        return;
      case 'hook_error':
        this.#print(p('yellow', `  warning: ${e.error.message}`));
        return;
      case 'stream_end': {
        clearInterval(this.#timer);
        this.#live?.clear();
        const why = { max_batches: 'reached --max-batches', until_idle: 'idle for --until-idle', stopped: 'stopped', failed: 'a batch failed' }[e.reason];
        this.#print(p(e.reason === 'failed' ? 'red' : 'bold', `Stream ended after ${plural(e.batches, 'batch')}: ${why}`));
        return;
      }
    }
  };

  #set(status: string): void {
    this.#status = status;
    this.#render();
  }

  #render(): void {
    if (!this.#live || !this.#status) return;
    const idle = this.#status === 'waiting for input' ? ` (${duration(Date.now() - this.#since)})` : '';
    this.#live(this.#paint('dim', `… ${this.#status}${idle}`));
  }

  #print(line: string): void {
    if (this.#live) {
      this.#live.clear();
      this.#out.write(`${line}\n`);
      this.#render();
    } else {
      this.#out.write(`${line}\n`);
    }
  }
}
