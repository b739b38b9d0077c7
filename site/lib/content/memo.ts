/**
 * Content computed from a file (a bundled lesson, a notebook's rendered charts) is kept while the
 * file is unchanged: pages are rendered per request (for their CSP nonce), and bundling or drawing
 * again for every visit would cost up to a second.
 */
import { stat } from 'node:fs/promises';

const cache = new Map<string, { mtimeMs: number; value: Promise<unknown> }>();

export async function memoByFile<T>(file: string, compute: () => Promise<T>): Promise<T> {
  const mtimeMs = (await stat(file)).mtimeMs;
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === mtimeMs) return hit.value as Promise<T>;
  const value = compute();
  cache.set(file, { mtimeMs, value });
  value.catch(() => cache.delete(file));
  return value;
}
