'use client';
/**
 * What the cells of one page share: the page (its kernel), the token of the kernel they last saw
 * (so the server can tell them it changed), and the order of the cells, to run the ones above a
 * cell after the kernel lost its state. Leaving the page gives its kernel back.
 */
import { createContext, useContext, useEffect, useMemo, useRef, type ReactNode } from 'react';
import { release, type Done } from './kernel-client';

type RunFn = (options: { force?: boolean }) => Promise<Done>;

export interface PageKernel {
  page: string;
  /** The kernel token this page last saw; undefined until a cell has run. */
  token: { current: string | undefined };
  /** Makes a cell's runner known, in page order; returns the unregister function. */
  register(el: HTMLElement, run: RunFn): () => void;
  /** Runs every cell above `el` in order (the kernel changed, so `force`); false if one failed. */
  runAbove(el: HTMLElement): Promise<boolean>;
}

const PageContext = createContext<PageKernel>({
  page: '', token: { current: undefined }, register: () => () => undefined, runAbove: async () => true,
});

export function PageProvider({ page, children }: { page: string; children: ReactNode }) {
  const token = useRef<string | undefined>(undefined);
  const cells = useRef(new Map<HTMLElement, RunFn>());
  const value = useMemo<PageKernel>(() => ({
    page,
    token,
    register(el, run) {
      cells.current.set(el, run);
      return () => cells.current.delete(el);
    },
    async runAbove(el) {
      const above = [...cells.current.entries()]
        .filter(([other]) => other !== el && other.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING)
        .sort(([a], [b]) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
      for (const [, run] of above) {
        const done = await run({ force: true });
        if (done.status !== 'ok') return false;
      }
      return true;
    },
  }), [page]);
  useEffect(() => {
    const leave = () => {
      if (token.current) release(page);
    };
    window.addEventListener('pagehide', leave);
    return () => {
      window.removeEventListener('pagehide', leave);
      leave();
    };
  }, [page]);
  return <PageContext.Provider value={value}>{children}</PageContext.Provider>;
}

export function usePage(): PageKernel {
  return useContext(PageContext);
}
