import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Outputs } from './Outputs';
import { Cell } from './Cell';
import { Exercise } from './Exercise';
import { PageProvider } from './page-context';

const html = (el: ReturnType<typeof createElement>) => renderToStaticMarkup(el);

describe('Outputs', () => {
  it('renders tables, charts as images with alt text, text and errors', () => {
    const out = html(createElement(Outputs, { outputs: [
      { kind: 'html', html: '<table><tr><td>42</td></tr></table>' },
      { kind: 'svg', svg: '<svg/>', alt: 'bar chart of per_site' },
      { kind: 'text', text: 'hello <b>', stream: 'stderr' },
      { kind: 'error', ename: 'MagicError', evalue: '%sql: bad', traceback: 'LINE 1' },
    ] }));
    // HTML is filled in (sanitised) in the browser only: see SafeHtml.test.ts.
    expect(out).toContain('<div class="output-html"></div>');
    expect(out).toContain('alt="bar chart of per_site"');
    expect(out).toContain('<pre class="output-text stderr">hello &lt;b&gt;</pre>');
    expect(out).toMatch(/role="alert"><strong>MagicError<\/strong>: %sql: bad<pre>LINE 1<\/pre>/);
    expect(html(createElement(Outputs, { outputs: [] }))).toBe('');
  });
});

describe('Cell and Exercise', () => {
  it('render labelled controls and highlighted code', () => {
    const cell = html(createElement(PageProvider, { page: 'lessons/x', children: createElement(Cell, { code: '%%sql hot\nSELECT 1' }) }));
    expect(cell).toContain('aria-label="code cell"');
    expect(cell).toContain('<span class="hljs-keyword">SELECT</span>');
    for (const label of ['Run', 'Edit', 'Interrupt', 'Restart kernel']) expect(cell).toContain(`>${label}</button>`);
    const ex = html(createElement(PageProvider, { page: 'lessons/x', children: createElement(Exercise, { id: 'e1', title: 'sites', starter: 'x', solution: 'y', check: 'z', hints: ['one', 'two'], children: 'Do it.' }) }));
    expect(ex).toMatch(/<h3 id="[^"]+">Exercise: sites/);
    expect(ex).toMatch(/<label for="[^"]+" class="visually-hidden">Your code/);
    expect(ex.replace(/<!-- -->/g, '')).toContain('>Hint (1/2)</button>');
    expect(ex).toContain('>Check</button>');
  });
});

/** WCAG relative luminance and contrast of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

describe('colour contrast', () => {
  it('keeps text at 4.5:1 or more against its background (WCAG AA)', () => {
    const css = readFileSync(path.join(import.meta.dirname, '../app/globals.css'), 'utf8');
    const v = Object.fromEntries([...css.matchAll(/--([\w-]+):\s*(#[0-9a-f]{6})/gi)].map((m) => [m[1], m[2]]));
    const pairs: [string, string, string][] = [
      ['text', v.fg, v.bg], ['muted text', v.muted, v.bg], ['muted text on panels', v.muted, v.panel], ['links', v.accent, v.bg],
      ['run buttons', '#ffffff', v.accent], ['passed', v.pass, v.bg], ['failed', v.fail, v.bg], ['errors', v.fail, '#fff1f1'], ['header links', '#ffffff', '#12263f'],
    ];
    for (const [what, fg, bg] of pairs) expect(contrast(fg, bg), what).toBeGreaterThanOrEqual(4.5);
  });
});
