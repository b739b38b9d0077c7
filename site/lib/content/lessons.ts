/**
 * Lessons: `lessons/*.mdx` with frontmatter (title, level, order, prerequisites, duration). Listing
 * reads only the frontmatter; a lesson page bundles its MDX with mdx-bundler. Bad frontmatter is
 * an error naming the file and the field.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import matter from 'gray-matter';
import { memoByFile } from './memo';
import { LESSONS_DIR } from './paths';

export const LEVELS = ['beginner', 'intermediate', 'advanced'] as const;
export type Level = (typeof LEVELS)[number];

export interface LessonMeta {
  slug: string;
  title: string;
  level: Level;
  order: number;
  prerequisites: string[];
  duration: string;
  summary: string;
  /** Plain text of the lesson, for search. */
  text: string;
}

export class ContentError extends Error {}

function check(file: string, data: Record<string, unknown>): Omit<LessonMeta, 'slug' | 'text'> {
  const bad = (field: string, want: string) => new ContentError(`${file}: frontmatter field "${field}" ${want}`);
  if (typeof data.title !== 'string' || !data.title) throw bad('title', 'is required (a string)');
  if (!LEVELS.includes(data.level as Level)) throw bad('level', `must be one of ${LEVELS.join(', ')}`);
  if (typeof data.order !== 'number') throw bad('order', 'is required (a number)');
  const prerequisites = data.prerequisites ?? [];
  if (!Array.isArray(prerequisites) || prerequisites.some((p) => typeof p !== 'string')) throw bad('prerequisites', 'must be a list of lesson slugs');
  if (typeof data.duration !== 'string') throw bad('duration', 'is required, e.g. "15 min"');
  return { title: data.title, level: data.level as Level, order: data.order, prerequisites: prerequisites as string[], duration: data.duration, summary: typeof data.summary === 'string' ? data.summary : '' };
}

/** MDX source → searchable text: no JSX tags, no code. */
function plainText(mdx: string): string {
  return mdx.replace(/```[\s\S]*?```/g, ' ').replace(/<[^>]+>/g, ' ').replace(/\{`[\s\S]*?`\}/g, ' ').replace(/[#*_`>[\]()]/g, ' ').replace(/\s+/g, ' ').trim();
}

export async function listLessons(): Promise<LessonMeta[]> {
  const files = (await readdir(LESSONS_DIR)).filter((f) => f.endsWith('.mdx'));
  const lessons = await Promise.all(files.map(async (f) => {
    const file = path.join(LESSONS_DIR, f);
    const { data, content } = matter(await readFile(file, 'utf8'));
    return { slug: f.replace(/\.mdx$/, ''), ...check(file, data), text: plainText(content) };
  }));
  const slugs = new Set(lessons.map((l) => l.slug));
  for (const l of lessons) {
    for (const p of l.prerequisites) if (!slugs.has(p)) throw new ContentError(`${path.join(LESSONS_DIR, `${l.slug}.mdx`)}: prerequisite "${p}" is not a lesson`);
  }
  return lessons.sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level) || a.order - b.order || a.slug.localeCompare(b.slug));
}

export interface Lesson {
  meta: LessonMeta;
  /** The MDX bundled by mdx-bundler, for getMDXComponent. */
  code: string;
  prev?: LessonMeta;
  next?: LessonMeta;
  prerequisites: LessonMeta[];
}

export async function getLesson(slug: string): Promise<Lesson | undefined> {
  const all = await listLessons();
  const i = all.findIndex((l) => l.slug === slug);
  if (i < 0) return undefined;
  const file = path.join(LESSONS_DIR, `${slug}.mdx`);
  const code = await memoByFile(file, async () => {
    const { bundleMDX } = await import('mdx-bundler');
    return (await bundleMDX({ source: await readFile(file, 'utf8'), cwd: LESSONS_DIR })).code;
  });
  return { meta: all[i], code, prev: all[i - 1], next: all[i + 1], prerequisites: all.filter((l) => all[i].prerequisites.includes(l.slug)) };
}
