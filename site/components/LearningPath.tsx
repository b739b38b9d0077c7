'use client';
/** `/`: the path of lessons by level with the learner's progress, a search box, the notebooks. */
import Link from 'next/link';
import { useId, useMemo, useState } from 'react';
import { useProgress } from './progress';

export interface PathLesson {
  slug: string;
  title: string;
  level: string;
  duration: string;
  summary: string;
  text: string;
  exercises: string[];
}

/** `code` spans of a summary as <code>. */
function withCode(text: string) {
  return text.split('`').map((part, i) => (i % 2 ? <code key={i}>{part}</code> : part));
}

export function LearningPath({ lessons, levels }: { lessons: PathLesson[]; levels: readonly string[] }) {
  const progress = useProgress();
  const [query, setQuery] = useState('');
  const searchId = useId();
  const matches = useMemo(() => {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    return words.length ? lessons.filter((l) => words.every((w) => `${l.title} ${l.text}`.toLowerCase().includes(w))) : undefined;
  }, [query, lessons]);
  const read = lessons.filter((l) => progress?.read[l.slug]).length;
  const exercises = lessons.flatMap((l) => l.exercises);
  const passed = exercises.filter((e) => progress?.passed[e]).length;
  const state = (l: PathLesson) => {
    if (!progress) return '';
    const done = l.exercises.length > 0 && l.exercises.every((e) => progress.passed[e]);
    return done ? 'done' : progress.read[l.slug] ? 'read' : '';
  };
  return (
    <>
      <section aria-labelledby="progress-heading" className="progress-summary">
        <h2 id="progress-heading">Your progress</h2>
        <p data-testid="progress">{progress ? `${read} of ${lessons.length} lessons read · ${passed} of ${exercises.length} exercises passed` : 'Loading your progress…'}</p>
        <progress max={exercises.length || 1} value={passed} aria-label="exercises passed" />
      </section>
      <section aria-labelledby="search-heading">
        <h2 id="search-heading" className="visually-hidden">Search lessons</h2>
        <label htmlFor={searchId}>Search lessons</label>
        <input id={searchId} type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="e.g. watermark, export, lineage" />
        {matches ? (
          <ul aria-label="search results" className="search-results">
            {matches.length ? matches.map((l) => <li key={l.slug}><Link href={`/lessons/${l.slug}`}>{l.title}</Link></li>) : <li>No lesson mentions that.</li>}
          </ul>
        ) : null}
      </section>
      <section id="lessons" aria-labelledby="lessons-heading">
        <h2 id="lessons-heading">The learning path</h2>
        {levels.map((level) => (
          <div key={level} className="level">
            <h3>{level[0].toUpperCase() + level.slice(1)}</h3>
            <ol>
              {lessons.filter((l) => l.level === level).map((l) => (
                <li key={l.slug} className={`lesson-item ${state(l)}`} data-lesson={l.slug}>
                  <Link href={`/lessons/${l.slug}`}>{l.title}</Link>
                  <span className="meta"> · {l.duration}{l.exercises.length ? ` · ${l.exercises.filter((e) => progress?.passed[e]).length}/${l.exercises.length} exercises` : ''}</span>
                  {state(l) ? <span className={`badge ${state(l)}`}>{state(l) === 'done' ? '✓ done' : 'read'}</span> : null}
                  {l.summary ? <p>{withCode(l.summary)}</p> : null}
                </li>
              ))}
            </ol>
          </div>
        ))}
      </section>
    </>
  );
}
