'use client';
/** Which page a cell is on: cells of one page share one kernel. */
import { createContext, useContext, type ReactNode } from 'react';

const PageContext = createContext<string>('');

export function PageProvider({ page, children }: { page: string; children: ReactNode }) {
  return <PageContext.Provider value={page}>{children}</PageContext.Provider>;
}

export function usePage(): string {
  return useContext(PageContext);
}
