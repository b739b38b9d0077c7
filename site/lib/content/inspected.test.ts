import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { inspectedString } from './inspected';

describe('inspectedString', () => {
  it('reads back every string as Node shows it: quotes of any kind, escapes, split lines', () => {
    for (const s of ['ab', "It's", 'say "hi"', `both ' and "`, 'tab\tnew\nline\\back', 'a\nb\n'.repeat(30), JSON.stringify({ pass: true, message: "It's 12 devices" }), 'ünïcödé ✓']) {
      expect(inspectedString(inspect(s))).toBe(s);
    }
  });
  it('leaves anything that is not a quoted string as it is', () => {
    for (const s of ['42', '{ pass: true }', 'plain text', "'unterminated"]) expect(inspectedString(s)).toBe(s);
  });
});
