'use client';
/** A lesson's bundled MDX, with the one component map that links MDX tags to components. */
import { getMDXComponent } from 'mdx-bundler/client';
import { useEffect, useMemo } from 'react';
import { Cell } from './Cell';
import { Exercise } from './Exercise';
import { PageProvider } from './page-context';
import { markRead } from './progress';

function Note({ children }: { children: React.ReactNode }) {
  return <aside className="note">{children}</aside>;
}

export const MDX_COMPONENTS = { Cell, Exercise, Note };

export function LessonBody({ slug, code }: { slug: string; code: string }) {
  const Component = useMemo(() => getMDXComponent(code), [code]);
  useEffect(() => markRead(slug), [slug]);
  return (
    <PageProvider page={`lessons/${slug}`}>
      <Component components={MDX_COMPONENTS} />
    </PageProvider>
  );
}
