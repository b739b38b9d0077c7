'use client';
/**
 * HTML from a kernel (a table, a styled summary): whatever a cell printed, a visitor's code
 * included, so it is sanitised with DOMPurify before it reaches the page. Scripts, event handlers,
 * `javascript:` links, forms and `<style>` (which would restyle the whole site) are removed;
 * tables, text formatting and inline SVG stay as they are. It is filled in the browser only,
 * where DOMPurify has a real DOM to parse with.
 */
import DOMPurify from 'dompurify';
import { useLayoutEffect, useRef } from 'react';

const CONFIG = {
  USE_PROFILES: { html: true, svg: true, svgFilters: true },
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed', 'link', 'meta', 'base'],
  FORBID_ATTR: ['action', 'formaction', 'srcset'],
};

export function sanitize(html: string): string {
  return DOMPurify.sanitize(html, CONFIG);
}

export function SafeHtml({ html, className }: { html: string; className?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    if (ref.current) ref.current.innerHTML = sanitize(html);
  }, [html]);
  return <div ref={ref} className={className} />;
}
