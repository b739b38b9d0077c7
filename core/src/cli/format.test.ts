import { describe, expect, it } from 'vitest';
import { count } from './format.js';

describe('count', () => {
  it('groups thousands as en-US does', () => {
    for (const n of [0, 7, 999, 1000, 12345, 1234567, 5_000_000, -1234]) expect(count(n)).toBe(n.toLocaleString('en-US'));
    expect(count(1.5)).toBe('1.5');
  });
});
