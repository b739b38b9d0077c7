/** `%run` output: a live per-step status view built from run events, then a summary table. */
import type { RunEvent, RunResult } from '@odibi/core';
import type { MimeBundle } from '../protocol/handler.js';
import { previewBundle } from './table.js';

const MARK: Record<string, string> = { pending: '·', running: '…', success: '✔', failed: '✖', skipped: '○' };

export function renderProgress(events: readonly RunEvent[]): MimeBundle {
  const status = new Map<string, { state: string; detail: string }>();
  for (const e of events) {
    if (e.type === 'run_start') for (const s of e.steps) status.set(s, { state: 'pending', detail: '' });
    else if (e.type === 'step_start') status.set(e.step, { state: 'running', detail: e.attempt > 1 ? `attempt ${e.attempt}` : '' });
    else if (e.type === 'step_success') status.set(e.step, { state: 'success', detail: `${rowsText(e.rowsOut, e.outputs)}, ${Math.round(e.durationMs)} ms` });
    else if (e.type === 'step_error') status.set(e.step, { state: 'failed', detail: e.error.message.split('\n')[0] });
    else if (e.type === 'step_skipped' && e.reason !== 'deselected') status.set(e.step, { state: 'skipped', detail: e.detail });
  }
  const lines = [...status].map(([step, s]) => `${MARK[s.state]} ${step}${s.detail ? `  ${s.detail}` : ''}`);
  const end = events.find((e) => e.type === 'run_end');
  if (end && end.type === 'run_end') lines.push('', `run ${end.status} in ${end.durationMs} ms`);
  return { 'text/plain': lines.join('\n') || 'starting…' };
}

/** A fused dataset (a view read inside its one consumer) is never counted: say where it went. */
function rowsText(rows: number | null, outputs: readonly { inlinedInto?: string }[]): string {
  if (rows !== null) return `${rows.toLocaleString('en-US')} rows`;
  const into = outputs.find((o) => o.inlinedInto)?.inlinedInto;
  return into ? `fused into ${into}` : 'rows not counted';
}

export function renderSummary(result: RunResult): MimeBundle {
  const rows = Object.values(result.record.steps).map((s) => {
    const fusedInto = s.outputs?.find((o) => o.inlinedInto)?.inlinedInto;
    return {
      step: s.name, status: s.status, rows_in: s.rowsIn ?? '', rows_out: s.rowsOut ?? '', ms: s.durationMs ?? '',
      note: s.error?.message.split('\n')[0] ?? s.skipDetail ?? (fusedInto ? `fused into ${fusedInto} (a view, not counted)` : ''),
    };
  });
  const schema = ['step', 'status', 'rows_in', 'rows_out', 'ms', 'note'].map((name) => ({ name, type: '' }));
  return previewBundle({ key: `run ${result.status}`, rows: rows.length, schema, sample: rows, noun: 'step' });
}
