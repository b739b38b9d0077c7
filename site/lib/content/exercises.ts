/** The exercise ids of a lesson (from its `<Exercise id="...">` tags), for progress on `/`. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LESSONS_DIR } from './paths';

export async function exerciseIds(slug: string): Promise<string[]> {
  const src = await readFile(path.join(LESSONS_DIR, `${slug}.mdx`), 'utf8');
  return [...src.matchAll(/<Exercise\b[^>]*?\bid="([^"]+)"/g)].map((m) => m[1]);
}
