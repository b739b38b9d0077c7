/**
 * A lesson's bundled MDX, rendered on the server with the one component map that links MDX tags
 * to components. Evaluating the bundle needs `new Function`, which the pages' Content-Security-
 * Policy does not allow in the browser; the interactive parts (Cell, Exercise) are client
 * components that the server output hydrates.
 */
import { getMDXComponent } from 'mdx-bundler/client';
import type { ReactNode } from 'react';
import { Cell } from './Cell';
import { Exercise } from './Exercise';
import { MarkRead } from './MarkRead';
import { PageProvider } from './page-context';

function Note({ children }: { children: ReactNode }) {
  return <aside className="note">{children}</aside>;
}

export const MDX_COMPONENTS = { Cell, Exercise, Note };

export function LessonBody({ slug, code }: { slug: string; code: string }) {
  const Component = getMDXComponent(code);
  return (
    <PageProvider page={`lessons/${slug}`}>
      <MarkRead slug={slug} />
      <Component components={MDX_COMPONENTS} />
    </PageProvider>
  );
}
