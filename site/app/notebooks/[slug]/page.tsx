import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { NotebookView } from '@/components/NotebookView';
import { getNotebook, listNotebooks } from '@/lib/content/notebooks';

export async function generateMetadata({ params }: { params: Promise<{ slug: string }> }): Promise<Metadata> {
  const { slug } = await params;
  const nb = (await listNotebooks()).find((n) => n.slug === slug);
  return { title: nb?.title ?? 'Notebook' };
}

export default async function NotebookPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const nb = await getNotebook(slug);
  if (!nb) notFound();
  return (
    <article className="notebook">
      <p className="breadcrumb"><Link href="/">Learning path</Link> › notebooks › {slug}.ipynb</p>
      <NotebookView slug={slug} cells={nb.cells} />
    </article>
  );
}
