import { describe, expect, it } from 'vitest';
import { checkOrigin, readJsonBody, RequestError } from './guard';

const headers = (h: Record<string, string>) => new Headers({ host: '127.0.0.1:3000', 'content-type': 'application/json', ...h });
const refused = (h: Record<string, string>, hosts?: string[]) => {
  try {
    checkOrigin(headers(h), { hosts });
    return undefined;
  } catch (err) {
    return err as RequestError;
  }
};

describe('checkOrigin', () => {
  it('lets same-origin JSON from the site through', () => {
    expect(refused({ 'sec-fetch-site': 'same-origin', origin: 'http://127.0.0.1:3000' })).toBeUndefined();
    expect(refused({ origin: 'http://127.0.0.1:3000' })).toBeUndefined();
    expect(refused({ host: 'learn.example:443', origin: 'https://learn.example:443' }, ['learn.example:443'])).toBeUndefined();
  });

  it('refuses other sites, missing origins, other content types and DNS-rebound host names with 403/415', () => {
    expect(refused({ origin: 'http://evil.example' })?.status).toBe(403);
    expect(refused({ 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' })?.status).toBe(403);
    expect(refused({ 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:4000' })?.status).toBe(403);
    expect(refused({})?.message).toMatch(/no Origin or Sec-Fetch-Site/);
    expect(refused({ origin: 'null' })?.status).toBe(403);
    expect(refused({ origin: 'http://127.0.0.1:3000', 'content-type': 'text/plain' })?.status).toBe(415);
    expect(refused({ origin: 'http://127.0.0.1:3000', 'content-type': 'multipart/form-data' })?.status).toBe(415);
    // A rebound name: the page and the host agree, but the site does not answer to that name.
    expect(refused({ host: 'evil.example:3000', origin: 'http://evil.example:3000', 'sec-fetch-site': 'same-origin' })?.status).toBe(403);
    expect(refused({ host: 'other.example', origin: 'http://other.example' }, ['learn.example'])?.status).toBe(403);
  });
});

describe('readJsonBody', () => {
  const req = (body: BodyInit, h: Record<string, string> = {}) => new Request('http://127.0.0.1:3000/api/kernel/execute', { method: 'POST', body, headers: h, duplex: 'half' } as RequestInit);
  it('reads a JSON object', async () => {
    expect(await readJsonBody(req('{"page":"lessons/a","code":"1"}'), 100)).toEqual({ page: 'lessons/a', code: '1' });
  });
  it('refuses a body past the cap while it streams (413), and anything but an object (400)', async () => {
    const stream = new ReadableStream({ start(c) { for (let i = 0; i < 100; i++) c.enqueue(new Uint8Array(1000)); c.close(); } });
    await expect(readJsonBody(req(stream), 10_000)).rejects.toMatchObject({ status: 413 });
    await expect(readJsonBody(req('x'.repeat(50), { 'content-length': '50' }), 10)).rejects.toMatchObject({ status: 413 });
    for (const body of ['null', '[1]', '"s"', '{', '']) await expect(readJsonBody(req(body), 100)).rejects.toMatchObject({ status: 400 });
  });
});
