/**
 * What a lesson asks the kernel to run, in page order: its cells, and each exercise's solution and
 * check. The MDX is rendered with components that only record their props, so this sees exactly
 * what the page shows. Used by the content tests (every cell must run; every solution must pass).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { LESSONS_DIR } from './paths';

export type LessonStep =
  | { kind: 'cell'; code: string; expectError: boolean }
  | { kind: 'exercise'; id: string; starter: string; solution: string; check: string };

export async function lessonSteps(slug: string): Promise<LessonStep[]> {
  const { bundleMDX } = await import('mdx-bundler');
  const { getMDXComponent } = await import('mdx-bundler/client/index.js');
  const source = await readFile(path.join(LESSONS_DIR, `${slug}.mdx`), 'utf8');
  const { code } = await bundleMDX({ source, cwd: LESSONS_DIR });
  const steps: LessonStep[] = [];
  const components = {
    Cell: (p: { code: string; expectError?: boolean }) => {
      steps.push({ kind: 'cell', code: p.code, expectError: !!p.expectError });
      return null;
    },
    Exercise: (p: { id: string; starter: string; solution: string; check: string }) => {
      steps.push({ kind: 'exercise', id: p.id, starter: p.starter, solution: p.solution, check: p.check });
      return null;
    },
    Note: () => null,
  };
  renderToStaticMarkup(createElement(getMDXComponent(code), { components }));
  return steps;
}
