/**
 * Human run output, driven by run events: finished steps print as permanent lines with rows and
 * durations; on a terminal, the steps still running are redrawn live below them (log-update).
 */
import path from 'node:path';
import { createLogUpdate } from 'log-update';
import type { RunEvent } from '../exec/events.js';
import { count, duration, pad, painter, plural, rowsSummary } from './format.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class Progress {
  readonly #out: NodeJS.WriteStream;
  readonly #paint: ReturnType<typeof painter>;
  readonly #live: boolean;
  readonly #running = new Map<string, { layer: string; since: number; attempt: number }>();
  /** Data checks of each step so far: passed, and warnings. */
  readonly #checks = new Map<string, { passed: number; warned: number }>();
  #nameWidth = 12;
  #frame = 0;
  #timer?: NodeJS.Timeout;
  #log?: ReturnType<typeof createLogUpdate>;

  constructor(out: NodeJS.WriteStream = process.stdout) {
    this.#out = out;
    this.#paint = painter(out);
    this.#live = !!out.isTTY && process.env.CI === undefined;
  }

  readonly handle = (e: RunEvent): void => {
    const p = this.#paint;
    switch (e.type) {
      case 'run_start':
        this.#nameWidth = Math.min(40, Math.max(12, ...e.steps.map((s) => s.length)));
        this.#print(p('bold', `Running ${e.pipeline}`) + p('dim', ` — ${plural(e.steps.length, 'step')} in ${plural(e.levels.length, 'level')}, ${e.executor === 'bullmq' ? 'steps queued for odibi workers' : `${e.workers} workers`} (run ${e.runId})`));
        if (this.#live) {
          this.#log = createLogUpdate(this.#out, { showCursor: true });
          this.#timer = setInterval(() => this.#render(), 100);
          this.#timer.unref();
        }
        return;
      case 'step_start':
        this.#running.set(e.step, { layer: e.layer, since: Date.now(), attempt: e.attempt });
        this.#checks.delete(e.step);
        this.#render();
        return;
      case 'step_success':
        this.#running.delete(e.step);
        if (e.restoredFrom) {
          this.#print(`${p('cyan', '↺')} ${pad(e.step, this.#nameWidth)} ${p('dim', pad(e.layer, 9))} ${pad(e.writes.length || !e.outputs.length ? 'already written' : `${count(e.rowsOut ?? 0)} rows`, 26)} ${p('dim', `restored from the checkpoint of run ${e.restoredFrom}`)}`);
          return;
        }
        this.#print(`${p('green', '✔')} ${pad(e.step, this.#nameWidth)} ${p('dim', pad(e.layer, 9))} ${pad(e.layer === 'connect' ? 'connected' : rowsSummary(e.rowsIn, e.rowsOut, e.outputs), 26)} ${p('dim', duration(e.durationMs))}${e.attempt > 1 ? p('yellow', ` (attempt ${e.attempt})`) : ''}${e.badRows?.count ? p('yellow', ` · ${count(e.badRows.count)} bad row${e.badRows.count === 1 ? '' : 's'} ${e.badRows.policy === 'skip' ? 'skipped' : 'quarantined'}`) : ''}${this.#checkSummary(e.step)}`);
        return;
      case 'step_check': {
        const c = this.#checks.get(e.step) ?? { passed: 0, warned: 0 };
        this.#checks.set(e.step, c);
        if (e.check.passed) c.passed++;
        else if (e.check.severity === 'warn') {
          c.warned++;
          this.#print(p('yellow', `  ⚠ ${e.step}: check ${e.check.name}: ${e.check.message}`));
        }
        // A failed error check fails the step: its error says which check and shows the rows.
        return;
      }
      case 'step_retry':
        this.#print(`${p('yellow', '↻')} ${pad(e.step, this.#nameWidth)} ${p('dim', pad(e.layer, 9))} ${p('yellow', `attempt ${e.attempt} failed, retrying in ${duration(e.delayMs)}: ${firstLine(e.error.message)}`)}`);
        return;
      case 'step_error':
        this.#running.delete(e.step);
        this.#print(`${p('red', '✖')} ${pad(e.step, this.#nameWidth)} ${p('dim', pad(e.layer, 9))} ${p('red', `failed${e.attempt > 1 ? ` after ${e.attempt} attempts` : ''}: ${e.error.message}`)}${e.error.hint ? `\n  ${p('dim', `hint: ${e.error.hint}`)}` : ''}`);
        return;
      case 'step_skipped':
        if (e.reason !== 'deselected') this.#print(`${p('gray', '○')} ${pad(e.step, this.#nameWidth)} ${p('dim', pad(e.layer, 9))} ${p('gray', `skipped: ${e.detail}`)}`);
        return;
      case 'step_log':
        this.#print(p('dim', `  ${e.step}: ${e.message}`));
        return;
      case 'run_log':
        this.#print(e.level === 'warning' ? p('yellow', `warning: ${e.message}`) : p('dim', e.message));
        return;
      case 'hook_error':
        this.#print(p('yellow', `warning: ${e.error.message}`));
        return;
      case 'run_end': {
        this.#stop();
        const ok = e.status === 'success';
        const parts = [`${e.succeeded} succeeded`, `${e.failed} failed`, `${e.skipped} skipped`];
        this.#print(`\n${ok ? p('green', 'Run succeeded') : p('red', 'Run failed')} in ${duration(e.durationMs)}: ${parts.join(', ')}`);
        if (e.error) this.#print(p('red', `${e.error.message}`) + (e.error.hint ? `\n  ${p('dim', `hint: ${e.error.hint}`)}` : ''));
        if (e.committed.length) this.#print(`Wrote:\n${e.committed.map((c) => `  ${path.isAbsolute(c) ? path.relative(process.cwd(), c) || c : c}`).join('\n')}`);
        else if (!ok) this.#print(p('dim', 'No outputs were changed.'));
        return;
      }
    }
  };

  #checkSummary(step: string): string {
    const c = this.#checks.get(step);
    if (!c) return '';
    const parts = [c.passed ? `${plural(c.passed, 'check')} passed` : '', c.warned ? `${plural(c.warned, 'warning')}` : ''].filter(Boolean);
    return ` ${this.#paint(c.warned ? 'yellow' : 'dim', `· ${parts.join(', ')}`)}`;
  }

  #print(line: string): void {
    if (this.#log) {
      this.#log.clear();
      this.#out.write(`${line}\n`);
      this.#render();
    } else {
      this.#out.write(`${line}\n`);
    }
  }

  #render(): void {
    if (!this.#log) return;
    this.#frame = (this.#frame + 1) % SPINNER.length;
    const now = Date.now();
    const lines = [...this.#running].map(([name, r]) =>
      `${this.#paint('cyan', SPINNER[this.#frame])} ${pad(name, this.#nameWidth)} ${this.#paint('dim', pad(r.layer, 9))} ${this.#paint('dim', `running ${duration(now - r.since)}${r.attempt > 1 ? ` (attempt ${r.attempt})` : ''}`)}`);
    this.#log(lines.join('\n'));
  }

  #stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#log) {
      this.#log.clear();
      this.#log.done();
      this.#log = undefined;
    }
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}
