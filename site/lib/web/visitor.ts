/**
 * Who a visitor is: a server-generated id in an httpOnly cookie, signed with HMAC-SHA256 under a
 * secret only the server holds. A missing, unsigned or tampered cookie gets a fresh identity, so
 * nobody can take another visitor's id by writing it into their own cookie.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const VISITOR_COOKIE = 'odibi_visitor';

function sign(id: string, secret: string): string {
  return createHmac('sha256', secret).update(id).digest('base64url');
}

export function newVisitorId(): string {
  return randomBytes(16).toString('base64url');
}

/** `<id>.<signature>`: the cookie's value for an id. */
export function signVisitor(id: string, secret: string): string {
  return `${id}.${sign(id, secret)}`;
}

/** The id in a cookie value, if its signature is right. */
export function verifyVisitor(value: string | undefined, secret: string): string | undefined {
  if (!value) return undefined;
  const dot = value.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const id = value.slice(0, dot);
  if (!/^[\w-]{16,64}$/.test(id)) return undefined;
  const given = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(sign(id, secret));
  return given.length === expected.length && timingSafeEqual(given, expected) ? id : undefined;
}
