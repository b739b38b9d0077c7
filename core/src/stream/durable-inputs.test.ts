import { describe, expect, it } from 'vitest';
import { relocate } from './durable-inputs.js';

describe('relocate', () => {
  it('moves paths under the old work folder, and nothing else', () => {
    const state = { inc: { seen: '/a/work/sources/inc/seen-1.parquet', last: '/a/work/sources/inc/input-1.parquet', watermark: '42' }, files: { taken: ['/data/in/x.csv', '/a/workshop/y'] } };
    expect(relocate(state, '/a/work', '/b/w')).toEqual({
      inc: { seen: '/b/w/sources/inc/seen-1.parquet', last: '/b/w/sources/inc/input-1.parquet', watermark: '42' }, files: { taken: ['/data/in/x.csv', '/a/workshop/y'] },
    });
    expect(relocate(state, undefined, '/b/w')).toBe(state);
    expect(relocate(state, '/a/work', '/a/work')).toBe(state);
  });
});
