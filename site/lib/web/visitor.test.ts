import { describe, expect, it } from 'vitest';
import { newVisitorId, signVisitor, verifyVisitor } from './visitor';

const SECRET = 'a'.repeat(64);

describe('visitor cookie', () => {
  it('accepts the signed id it issued', () => {
    const id = newVisitorId();
    expect(verifyVisitor(signVisitor(id, SECRET), SECRET)).toBe(id);
  });
  it('gives no identity to an unsigned, tampered, re-signed or chosen value', () => {
    const id = newVisitorId();
    const good = signVisitor(id, SECRET);
    expect(verifyVisitor(id, SECRET)).toBeUndefined();
    expect(verifyVisitor(`${id}.`, SECRET)).toBeUndefined();
    expect(verifyVisitor(`${newVisitorId()}${good.slice(good.indexOf('.'))}`, SECRET)).toBeUndefined();
    expect(verifyVisitor(good.slice(0, -2) + 'xx', SECRET)).toBeUndefined();
    expect(verifyVisitor(signVisitor(id, 'b'.repeat(64)), SECRET)).toBeUndefined();
    expect(verifyVisitor('../../etc.x', SECRET)).toBeUndefined();
    expect(verifyVisitor(undefined, SECRET)).toBeUndefined();
  });
});
