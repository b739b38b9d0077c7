'use client';
/** A notebook: markdown cells as HTML, code cells runnable on the kernel, saved outputs shown until run. */
import type { NotebookCell } from '@/lib/content/notebooks';
import { Cell } from './Cell';
import { PageProvider } from './page-context';

export function NotebookView({ slug, cells }: { slug: string; cells: NotebookCell[] }) {
  return (
    <PageProvider page={`notebooks/${slug}`}>
      {cells.map((c, i) => c.kind === 'markdown'
        ? <div key={i} className="markdown" dangerouslySetInnerHTML={{ __html: c.html }} />
        : <Cell key={c.id} code={c.source} outputs={c.outputs} expectError={c.expectError} label={`code cell ${i + 1}`} />)}
    </PageProvider>
  );
}
