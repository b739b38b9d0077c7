/** The live status of background streams and schedules (`%stream`, `%schedule`): an HTML table plus text. */
import type { MimeBundle } from '../protocol/handler.js';

export interface JobRow {
  kind: 'stream' | 'schedule';
  name: string;
  state: string;
  detail: string;
  /** Batches (stream) or runs (schedule) so far. */
  runs?: number;
  last?: string;
  next?: string;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function jobsBundle(rows: readonly JobRow[]): MimeBundle {
  const cols: [string, (r: JobRow) => string][] = [
    ['', (r) => r.kind],
    ['pipeline', (r) => r.name],
    ['state', (r) => r.state],
    ['batches / runs', (r) => String(r.runs ?? 0)],
    ['last', (r) => r.last ?? ''],
    ['next', (r) => (r.next ? r.next.replace('T', ' ').slice(0, 19) : '')],
    ['sources / trigger', (r) => r.detail],
  ];
  const html = `<div class="odibi-jobs"><table><thead><tr>${cols.map(([h]) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${cols.map(([, f]) => `<td>${escapeHtml(f(r))}</td>`).join('')}</tr>`).join('')}</tbody></table></div>`;
  const text = rows.map((r) => `${r.kind} ${r.name}: ${r.state}; ${r.runs ?? 0} ${r.kind === 'stream' ? 'batches' : 'runs'}${r.last ? `; last ${r.last}` : ''}${r.next ? `; next ${r.next}` : ''} [${r.detail}]`).join('\n');
  return { 'text/html': html, 'text/plain': text };
}
