/**
 * Cell outputs as the site shows them, from a saved notebook or a live kernel message: the
 * richest form each has (HTML table, SVG, text, error). Pure, so the server (saved outputs) and
 * the browser (live outputs) share it.
 */
export type ShownOutput =
  | { kind: 'html'; html: string }
  | { kind: 'svg'; svg: string; alt: string }
  | { kind: 'text'; text: string; stream?: 'stdout' | 'stderr' }
  | { kind: 'error'; ename: string; evalue: string; traceback: string };

export type MimeBundle = Record<string, unknown>;

const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

function joined(v: unknown): string {
  return Array.isArray(v) ? v.join('') : String(v ?? '');
}

/**
 * A display_data / execute_result bundle → what to show. SVG comes first (it stands in for a
 * vega-lite chart, and a DAG's HTML is only a scaling wrapper around the same SVG): as an image
 * its scripts never run, and the page frames it at its own size.
 */
export function fromBundle(data: MimeBundle): ShownOutput | undefined {
  if (data['image/svg+xml'] !== undefined) return { kind: 'svg', svg: joined(data['image/svg+xml']), alt: joined(data['text/plain']) || 'chart' };
  if (data['text/html'] !== undefined) return { kind: 'html', html: joined(data['text/html']) };
  if (data['text/plain'] !== undefined) return { kind: 'text', text: joined(data['text/plain']) };
  return undefined;
}

/** A Jupyter output (nbformat or an iopub message's type + content) → what to show. */
export function fromJupyter(type: string, content: Record<string, unknown>): ShownOutput | undefined {
  switch (type) {
    case 'stream':
      return { kind: 'text', text: joined(content.text), stream: content.name === 'stderr' ? 'stderr' : 'stdout' };
    case 'display_data':
    case 'execute_result':
    case 'update_display_data':
      return fromBundle((content.data ?? {}) as MimeBundle);
    case 'error':
      return { kind: 'error', ename: String(content.ename ?? 'Error'), evalue: stripAnsi(String(content.evalue ?? '')), traceback: stripAnsi(((content.traceback as string[] | undefined) ?? []).join('\n')) };
    default:
      return undefined;
  }
}

/** Consecutive stream text of the same stream becomes one block, as notebooks show it. */
export function mergeStreams(outputs: ShownOutput[]): ShownOutput[] {
  const out: ShownOutput[] = [];
  for (const o of outputs) {
    const last = out[out.length - 1];
    if (o.kind === 'text' && o.stream && last?.kind === 'text' && last.stream === o.stream) out[out.length - 1] = { ...last, text: last.text + o.text };
    else out.push(o);
  }
  return out;
}
