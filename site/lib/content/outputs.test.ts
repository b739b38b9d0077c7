import { describe, expect, it } from 'vitest';
import { fromBundle, fromJupyter, mergeStreams } from './outputs';

describe('outputs', () => {
  it('shows an SVG (a chart, a DAG with its HTML wrapper) as an image, else an HTML table, else text', () => {
    expect(fromBundle({ 'text/html': '<table/>', 'text/plain': 't' })).toEqual({ kind: 'html', html: '<table/>' });
    expect(fromBundle({ 'text/html': '<div><svg/></div>', 'image/svg+xml': '<svg/>', 'text/plain': 'flowchart LR' })).toEqual({ kind: 'svg', svg: '<svg/>', alt: 'flowchart LR' });
    expect(fromBundle({ 'application/vnd.vegalite.v5+json': {}, 'image/svg+xml': ['<svg>', '</svg>'], 'text/plain': 'bar chart of x' })).toEqual({ kind: 'svg', svg: '<svg></svg>', alt: 'bar chart of x' });
    expect(fromBundle({ 'text/plain': '42' })).toEqual({ kind: 'text', text: '42' });
  });

  it('turns errors into name, value and a traceback without terminal colours', () => {
    expect(fromJupyter('error', { ename: 'MagicError', evalue: '\u001b[31m%sql: bad\u001b[0m', traceback: ['\u001b[1mline 1\u001b[0m', 'hint: x'] })).toEqual({ kind: 'error', ename: 'MagicError', evalue: '%sql: bad', traceback: 'line 1\nhint: x' });
  });

  it('joins consecutive stream text of one stream', () => {
    const out = [fromJupyter('stream', { name: 'stdout', text: 'a' })!, fromJupyter('stream', { name: 'stdout', text: 'b' })!, fromJupyter('stream', { name: 'stderr', text: 'c' })!];
    expect(mergeStreams(out)).toEqual([{ kind: 'text', text: 'ab', stream: 'stdout' }, { kind: 'text', text: 'c', stream: 'stderr' }]);
  });
});
