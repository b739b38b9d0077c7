'use client';
/** Records in the learner's progress that a lesson was opened. */
import { useEffect } from 'react';
import { markRead } from './progress';

export function MarkRead({ slug }: { slug: string }) {
  useEffect(() => markRead(slug), [slug]);
  return null;
}
