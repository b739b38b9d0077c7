/**
 * Notebooks: `notebooks/*.ipynb` rendered for the site. Markdown through markdown-it (raw HTML
 * off), saved outputs as the
 * site shows them; a saved vega-lite chart is drawn again from its spec with vega. Code is
 * highlighted by the cell component (lib/content/highlight.ts).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import MarkdownIt from 'markdown-it';
import { memoByFile } from './memo';
import { NOTEBOOKS_DIR } from './paths';
import { fromJupyter, mergeStreams, type MimeBundle, type ShownOutput } from './outputs';

export interface NotebookMeta {
  slug: string;
  title: string;
  summary: string;
}

export type NotebookCell =
  | { kind: 'markdown'; html: string }
  | { kind: 'code'; id: string; source: string; outputs: ShownOutput[]; expectError: boolean };

export interface Notebook {
  meta: NotebookMeta;
  cells: NotebookCell[];
}

interface RawCell {
  cell_type: string;
  source: string | string[];
  outputs?: { output_type: string; [k: string]: unknown }[];
  metadata?: { tags?: string[] };
}

const md = new MarkdownIt({ html: false, linkify: true, typographer: true });
const text = (s: string | string[]) => (Array.isArray(s) ? s.join('') : s);

async function readCells(slug: string): Promise<RawCell[]> {
  const nb = JSON.parse(await readFile(path.join(NOTEBOOKS_DIR, `${slug}.ipynb`), 'utf8')) as { cells: RawCell[] };
  return nb.cells;
}

function metaOf(slug: string, cells: RawCell[]): NotebookMeta {
  const first = cells.find((c) => c.cell_type === 'markdown');
  const src = first ? text(first.source) : '';
  const title = /^#\s+(.+)$/m.exec(src)?.[1]?.trim() ?? slug;
  const summary = src.replace(/^#.*$/m, '').replace(/[#*_`]/g, '').trim().split('\n\n')[0] ?? '';
  return { slug, title, summary };
}

export async function listNotebooks(): Promise<NotebookMeta[]> {
  const files = (await readdir(NOTEBOOKS_DIR)).filter((f) => f.endsWith('.ipynb')).sort();
  return Promise.all(files.map(async (f) => {
    const slug = f.replace(/\.ipynb$/, '');
    return metaOf(slug, await readCells(slug));
  }));
}

/** A saved vega-lite output drawn again from its spec (vega, no canvas needed for SVG). */
async function vegaLiteSvg(spec: unknown): Promise<string | undefined> {
  try {
    const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
    const view = new vega.View(vega.parse(vl.compile(spec as never).spec), { renderer: 'none' });
    const svg = await view.toSVG();
    view.finalize();
    return svg;
  } catch {
    return undefined;
  }
}

async function outputOf(o: { output_type: string; [k: string]: unknown }): Promise<ShownOutput | undefined> {
  const data = o.data as MimeBundle | undefined;
  const spec = data?.['application/vnd.vegalite.v5+json'] ?? data?.['application/vnd.vegalite.v4+json'];
  if (spec) {
    const svg = await vegaLiteSvg(spec);
    if (svg) return { kind: 'svg', svg, alt: String(data?.['text/plain'] ?? 'vega-lite chart') };
  }
  return fromJupyter(o.output_type, o);
}

export async function getNotebook(slug: string): Promise<Notebook | undefined> {
  const file = path.join(NOTEBOOKS_DIR, `${slug}.ipynb`);
  if (!/^[\w-]+$/.test(slug) || !(await stat(file).catch(() => undefined))) return undefined;
  return memoByFile(file, () => renderNotebook(slug));
}

async function renderNotebook(slug: string): Promise<Notebook> {
  const cells = await readCells(slug);
  const out: NotebookCell[] = [];
  for (const [i, c] of cells.entries()) {
    const source = text(c.source);
    if (c.cell_type === 'markdown') out.push({ kind: 'markdown', html: md.render(source) });
    else if (c.cell_type === 'code') {
      const outputs = (await Promise.all((c.outputs ?? []).map(outputOf))).filter((x): x is ShownOutput => !!x);
      out.push({ kind: 'code', id: `cell-${i}`, source, outputs: mergeStreams(outputs), expectError: (c.metadata?.tags ?? []).includes('raises-exception') });
    }
  }
  return { meta: metaOf(slug, cells), cells: out };
}
