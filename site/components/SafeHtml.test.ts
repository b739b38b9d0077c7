// @vitest-environment jsdom
import { createElement } from 'react';
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { describe, expect, it } from 'vitest';
import { SafeHtml, sanitize } from './SafeHtml';

describe('kernel HTML is sanitised before it reaches the page', () => {
  it('removes scripts, handlers, javascript: links, forms and styles', () => {
    const out = sanitize([
      '<img src=x onerror="window.pwned=1">',
      '<script>window.pwned=2</script>',
      '<svg><script>window.pwned=3</script><a href="javascript:alert(1)"><text>x</text></a></svg>',
      '<a href="javascript:alert(1)">link</a>',
      '<form action="https://evil.example"><input name="q"><button>go</button></form>',
      '<style>body { display: none }</style>',
      '<iframe src="https://evil.example"></iframe>',
    ].join(''));
    expect(out).not.toMatch(/onerror|<script|javascript:|<form|<input|<button|<style|<iframe/i);
    expect(out).toContain('<img src="x">');
  });

  it('keeps what the kernel shows: tables with their captions and styles, and inline SVG', () => {
    const table = '<table class="odibi-table"><caption>readings: 2,018 rows</caption><thead><tr><th title="BIGINT">id</th></tr></thead><tbody><tr><td style="text-align: right">42</td></tr></tbody></table>';
    expect(sanitize(table)).toBe(table);
    const svg = sanitize('<svg width="10" height="10" viewBox="0 0 10 10"><rect width="10" height="10" fill="#fff"></rect><text x="1" y="9">a</text></svg>');
    expect(svg).toContain('<rect width="10" height="10" fill="#fff"></rect>');
  });

  it('fills the element in the browser with the sanitised HTML', async () => {
    const el = document.createElement('div');
    (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
    await act(async () => createRoot(el).render(createElement(SafeHtml, { html: '<b>bold</b><img src=x onerror="alert(1)">', className: 'output-html' })));
    expect(el.innerHTML).toBe('<div class="output-html"><b>bold</b><img src="x"></div>');
  });
});
