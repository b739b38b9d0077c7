import { describe, expect, it } from 'vitest';
import { compareIds, toCsv } from './redis.js';

describe('Redis stream entries', () => {
  it('orders ids numerically, not as text', () => {
    expect(compareIds('9-0', '10-0')).toBe(-1);
    expect(compareIds('10-2', '10-10')).toBe(-1);
    expect(compareIds('10-10', '10-10')).toBe(0);
    expect(compareIds('1700000000000-1', '1700000000000-0')).toBe(1);
  });

  it('writes entries as CSV: _id, then every field any entry has, quoted; a missing field is empty', () => {
    expect(toCsv([['1-0', ['a', 'x', 'b', 'say "hi"']], ['2-0', ['c', 'line\nbreak']], ['3-0', null]])).toBe(
      '"_id","a","b","c"\n"1-0","x","say ""hi""",\n"2-0",,,"line\nbreak"\n"3-0",,,\n',
    );
  });
});
