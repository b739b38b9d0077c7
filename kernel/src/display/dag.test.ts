import { describe, expect, it } from 'vitest';
import { dagBundle } from './dag.js';

describe('dagBundle', () => {
  it('scales the SVG to the output width, between 75% and 100% of its size, and scrolls past that', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="300" viewBox="0 0 1600 300"><text font-size="12">a</text></svg>';
    const b = dagBundle(svg, 'flowchart LR');
    expect(b['image/svg+xml']).toBe(svg);
    expect(b['text/plain']).toBe('flowchart LR');
    const html = String(b['text/html']);
    expect(html).toMatch(/^<div class="odibi-dag" style="overflow-x:auto;max-width:100%"><div style="width:100%;min-width:1200px;max-width:1600px"><svg /);
    expect(html).toContain('viewBox="0 0 1600 300"');
    expect(html).toContain('style="display:block;width:100%;height:auto"');
    expect(html).not.toMatch(/<svg[^>]*width="1600"/);
  });
});
