/**
 * Charts as notebook outputs: the vega-lite spec as `application/vnd.vegalite.v5+json` (a JSON
 * object, which JupyterLab renders interactively) plus an SVG rendered here, headless, so
 * nbconvert, GitHub and classic Notebook show the chart too. vega loads on the first chart only.
 */
import type { MimeBundle } from '../protocol/handler.js';

export const VEGA_LITE_MIME = 'application/vnd.vegalite.v5+json';
export const MARKS = ['bar', 'line', 'point', 'area', 'tick', 'circle', 'square', 'rect', 'rule', 'text', 'arc', 'boxplot'] as const;

/** vega-lite field type of a DuckDB column type. */
export function fieldType(duckType: string): 'quantitative' | 'temporal' | 'nominal' {
  const t = duckType.toUpperCase();
  if (/INT|DOUBLE|FLOAT|DECIMAL|REAL|NUMERIC/.test(t)) return 'quantitative';
  if (t.startsWith('DATE') || t.startsWith('TIMESTAMP')) return 'temporal';
  return 'nominal';
}

/** Values JSON can carry (Dates as ISO strings, BIGINTs as numbers or strings). */
export function chartValues(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v])));
}

export async function chartBundle(spec: Record<string, unknown>, label: string): Promise<MimeBundle> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return { [VEGA_LITE_MIME]: spec, 'image/svg+xml': svg, 'text/plain': label };
  } finally {
    view.finalize();
  }
}
