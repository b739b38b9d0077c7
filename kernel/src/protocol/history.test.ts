import { describe, expect, it } from 'vitest';
import { History } from './history.js';

describe('History', () => {
  const h = new History(7);
  h.add({ line: 1, input: '6 * 7' });
  h.setOutput(1, '42');
  h.add({ line: 2, input: 'const x = 1' });
  h.add({ line: 3, input: '6 * 7' });

  it('answers tail, with or without outputs', () => {
    expect(h.query({ hist_access_type: 'tail', n: 2 })).toEqual([[7, 2, 'const x = 1'], [7, 3, '6 * 7']]);
    expect(h.query({ hist_access_type: 'tail', n: 1, output: true })).toEqual([[7, 3, ['6 * 7', null]]]);
    expect(h.query({ hist_access_type: 'tail', n: 3, output: true })[0]).toEqual([7, 1, ['6 * 7', '42']]);
  });

  it('answers a range of lines of this session, and nothing for another', () => {
    expect(h.query({ hist_access_type: 'range', session: 7, start: 1, stop: 3 })).toEqual([[7, 1, '6 * 7'], [7, 2, 'const x = 1']]);
    expect(h.query({ hist_access_type: 'range', session: 3, start: 1, stop: 3 })).toEqual([]);
  });

  it('searches with glob patterns, optionally unique', () => {
    expect(h.query({ hist_access_type: 'search', pattern: '6*' })).toEqual([[7, 1, '6 * 7'], [7, 3, '6 * 7']]);
    expect(h.query({ hist_access_type: 'search', pattern: '6*', unique: true })).toEqual([[7, 3, '6 * 7']]);
    expect(h.query({ hist_access_type: 'search', pattern: 'const ? = 1' })).toEqual([[7, 2, 'const x = 1']]);
  });
});
