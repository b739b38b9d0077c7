'use client';
/** The learner's progress, kept in localStorage: lessons read and exercises passed. Survives reloads. */
import { useCallback, useEffect, useState } from 'react';

const KEY = 'odibi-progress-v1';

export interface Progress {
  read: Record<string, string>;
  passed: Record<string, string>;
}

function load(): Progress {
  try {
    const p = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Progress>;
    return { read: p.read ?? {}, passed: p.passed ?? {} };
  } catch {
    return { read: {}, passed: {} };
  }
}

function save(p: Progress): void {
  localStorage.setItem(KEY, JSON.stringify(p));
  window.dispatchEvent(new Event('odibi-progress'));
}

export function markRead(slug: string): void {
  const p = load();
  if (p.read[slug]) return;
  p.read[slug] = new Date().toISOString();
  save(p);
}

export function markPassed(id: string): void {
  const p = load();
  p.passed[id] = new Date().toISOString();
  save(p);
}

/** Progress, or undefined before it is read on the client (the server renders without it). */
export function useProgress(): Progress | undefined {
  const [p, setP] = useState<Progress>();
  const refresh = useCallback(() => setP(load()), []);
  useEffect(() => {
    refresh();
    window.addEventListener('odibi-progress', refresh);
    window.addEventListener('storage', refresh);
    return () => {
      window.removeEventListener('odibi-progress', refresh);
      window.removeEventListener('storage', refresh);
    };
  }, [refresh]);
  return p;
}
