import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { highlight } from './highlight';

describe('highlight', () => {
  it('highlights a %%sql cell\'s body as SQL and TypeScript cells as TypeScript', () => {
    const sql = highlight('%%sql hot\nSELECT * FROM readings WHERE t > 30');
    expect(sql).toMatch(/^<span class="hljs-meta">%%sql<\/span> hot\n/);
    expect(sql).toContain('<span class="hljs-keyword">SELECT</span>');
    expect(highlight('const x = await odibi.rows("a")')).toContain('<span class="hljs-keyword">const</span>');
  });
});

describe('lessons', () => {
  let dir: string | undefined;
  afterEach(async () => {
    vi.resetModules();
    delete process.env.ODIBI_REPO;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function repoWith(files: Record<string, string>) {
    dir = await mkdtemp(path.join(os.tmpdir(), 'odibi-site-'));
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(dir, 'lessons'));
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, 'lessons', name), text);
    process.env.ODIBI_REPO = dir;
    return import('./lessons');
  }

  it('orders lessons by level, then order, and links prerequisites', async () => {
    const { listLessons } = await repoWith({
      'b.mdx': '---\ntitle: B\nlevel: intermediate\norder: 1\nduration: 5 min\nprerequisites: [a]\n---\nAbout watermarks.',
      'a.mdx': '---\ntitle: A\nlevel: beginner\norder: 2\nduration: 5 min\n---\nFirst <Cell code={`%steps`} /> text.',
    });
    const lessons = await listLessons();
    expect(lessons.map((l) => l.slug)).toEqual(['a', 'b']);
    expect(lessons[0].text).toBe('First text.');
    expect(lessons[1].prerequisites).toEqual(['a']);
  });

  it('names the file and the field of bad frontmatter', async () => {
    const { listLessons } = await repoWith({ 'x.mdx': '---\ntitle: X\nlevel: expert\norder: 1\nduration: 1 min\n---\n' });
    await expect(listLessons()).rejects.toThrow(/x\.mdx: frontmatter field "level" must be one of beginner, intermediate, advanced/);
  });

  it('refuses a prerequisite that is not a lesson', async () => {
    const { listLessons } = await repoWith({ 'x.mdx': '---\ntitle: X\nlevel: beginner\norder: 1\nduration: 1 min\nprerequisites: [nope]\n---\n' });
    await expect(listLessons()).rejects.toThrow(/prerequisite "nope" is not a lesson/);
  });
});
