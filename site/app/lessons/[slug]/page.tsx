import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { LessonBody } from '@/components/LessonBody';
import { getLesson, listLessons } from '@/lib/content/lessons';

export async function generateMetadata({ params }: { params: Promise<{ slug: string }> }): Promise<Metadata> {
  const { slug } = await params;
  const lesson = (await listLessons()).find((l) => l.slug === slug);
  return { title: lesson?.title ?? 'Lesson' };
}

export default async function LessonPage({ params }: { params: Promise<{ slug: string }> }) {
  const lesson = await getLesson((await params).slug);
  if (!lesson) notFound();
  const { meta, prev, next, prerequisites } = lesson;
  return (
    <article className="lesson">
      <p className="breadcrumb"><Link href="/">Learning path</Link> › {meta.level}</p>
      <h1>{meta.title}</h1>
      <p className="meta">{meta.level} · {meta.duration}</p>
      {prerequisites.length ? <p className="prereq">Before this: {prerequisites.map((p, i) => <span key={p.slug}>{i ? ', ' : ''}<Link href={`/lessons/${p.slug}`}>{p.title}</Link></span>)}</p> : null}
      <LessonBody slug={meta.slug} code={lesson.code} />
      <nav className="pager" aria-label="lessons">
        {prev ? <Link href={`/lessons/${prev.slug}`} rel="prev">← {prev.title}</Link> : <span />}
        {next ? <Link href={`/lessons/${next.slug}`} rel="next">{next.title} →</Link> : <span />}
      </nav>
    </article>
  );
}
