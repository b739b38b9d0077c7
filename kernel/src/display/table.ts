/** A dataset preview as a notebook output: an HTML table (with types and the total row count) plus text. */
import type { MimeBundle } from '../protocol/handler.js';

export interface Preview {
  key: string;
  rows: number;
  schema: { name: string; type: string }[];
  sample: Record<string, unknown>[];
  /** What one row is, for the caption (default "row"): a run summary counts steps. */
  noun?: string;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  return String(v);
}

export function previewBundle(p: Preview): MimeBundle {
  const shown = p.sample.length;
  const noun = p.noun ?? 'row';
  const caption = `${p.key}: ${p.rows.toLocaleString('en-US')} ${noun}${p.rows === 1 ? '' : 's'}${shown < p.rows ? ` (first ${shown} shown)` : ''}`;
  const head = p.schema.map((c) => `<th>${escapeHtml(c.name)}<br><small style="font-weight:normal;opacity:.7">${escapeHtml(c.type)}</small></th>`).join('');
  const body = p.sample.map((r) => `<tr>${p.schema.map((c) => `<td>${escapeHtml(cell(r[c.name]))}</td>`).join('')}</tr>`).join('\n');
  const html = `<div class="odibi-table"><table><caption style="caption-side:top;text-align:left">${escapeHtml(caption)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
  const widths = p.schema.map((c) => Math.min(30, Math.max(c.name.length, ...p.sample.map((r) => cell(r[c.name]).length))));
  const line = (vals: string[]) => vals.map((v, i) => v.slice(0, 30).padEnd(widths[i])).join(' | ');
  const text = [caption, line(p.schema.map((c) => c.name)), widths.map((w) => '-'.repeat(w)).join('-+-'), ...p.sample.map((r) => line(p.schema.map((c) => cell(r[c.name]))))].join('\n');
  return { 'text/html': html, 'text/plain': text };
}
