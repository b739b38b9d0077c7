import Link from 'next/link';
import { LearningPath } from '@/components/LearningPath';
import { LEVELS, listLessons } from '@/lib/content/lessons';
import { exerciseIds } from '@/lib/content/exercises';
import { listNotebooks } from '@/lib/content/notebooks';

export default async function Home() {
  const [lessons, notebooks] = await Promise.all([listLessons(), listNotebooks()]);
  const withExercises = await Promise.all(lessons.map(async (l) => ({ slug: l.slug, title: l.title, level: l.level, duration: l.duration, summary: l.summary, text: l.text, exercises: await exerciseIds(l.slug) })));
  return (
    <>
      <h1>Learn ODIBI</h1>
      <p className="lead">From an exploratory notebook to a production pipeline without a rewrite. Every cell on these pages runs on the real odibi kernel.</p>
      <LearningPath lessons={withExercises} levels={LEVELS} />
      <section id="notebooks" aria-labelledby="notebooks-heading">
        <h2 id="notebooks-heading">Notebooks</h2>
        <ul>
          {notebooks.map((n) => <li key={n.slug}><Link href={`/notebooks/${n.slug}`}>{n.title}</Link>{n.summary ? <p>{n.summary}</p> : null}</li>)}
        </ul>
      </section>
    </>
  );
}
