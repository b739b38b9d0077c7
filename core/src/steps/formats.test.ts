import { describe, expect, it } from 'vitest';
import { formatOf } from './formats.js';

describe('formatOf', () => {
  it('reads the format from the extension, globs and URLs included', () => {
    expect(formatOf('s', 'data/readings.csv', undefined)).toBe('csv');
    expect(formatOf('s', 'out/hot/*.parquet', undefined)).toBe('parquet');
    expect(formatOf('s', 'lake/**/part-*.ndjson', undefined)).toBe('ndjson');
    expect(formatOf('s', 'https://example.com/x.json?token=1', undefined)).toBe('json');
  });

  it('uses the declared format, or says what to do', () => {
    expect(formatOf('s', 'data/*', 'parquet')).toBe('parquet');
    expect(() => formatOf('s', 'data/*', undefined)).toThrow("cannot tell the file format of 'data/*'");
    expect(() => formatOf('s', 'x.csv', 'xls')).toThrow("unknown format 'xls'");
  });
});
