/**
 * The door of /api/kernel/*: every request is assumed to come from a hostile page until shown
 * otherwise. Only a same-origin `application/json` POST to a host name this site answers to gets
 * in (so a cross-site form, a `text/plain` fetch or a DNS-rebound name is refused before any code
 * runs), and a body is read only up to a cap, counted as it streams.
 */

export class RequestError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface GuardOptions {
  /** `host:port` values the site is reached at; default: loopback names on any port. */
  hosts?: string[];
  maxBodyBytes: number;
}

const LOOPBACK = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;

/** A host name as browsers write it: lower case, without a default port. */
function normal(host: string): string {
  return host.toLowerCase().replace(/:(80|443)$/, '');
}

function hostAllowed(host: string, hosts: string[] | undefined): boolean {
  return hosts?.length ? hosts.map(normal).includes(normal(host)) : LOOPBACK.test(host);
}

/** Throws a RequestError (403/415) unless the request is a same-origin JSON POST to a known host. */
export function checkOrigin(headers: Headers, options: Pick<GuardOptions, 'hosts'>): void {
  const host = headers.get('host') ?? '';
  if (!hostAllowed(host, options.hosts)) throw new RequestError(403, `this site does not answer to the host "${host}"`);
  const site = headers.get('sec-fetch-site');
  const origin = headers.get('origin');
  if (site !== null && site !== 'same-origin') throw new RequestError(403, 'requests from other sites are refused');
  if (origin !== null) {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      throw new RequestError(403, 'requests from other sites are refused');
    }
    if (normal(originHost) !== normal(host)) throw new RequestError(403, 'requests from other sites are refused');
  }
  if (site === null && origin === null) throw new RequestError(403, 'requests must come from the site\'s own pages (no Origin or Sec-Fetch-Site header)');
  const type = (headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new RequestError(415, 'send application/json');
}

/** The body as JSON, read up to `max` bytes (413 past it, even without a Content-Length). */
export async function readJsonBody(request: Request, max: number): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > max) throw new RequestError(413, `the request is larger than ${max} bytes`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body?.getReader();
  if (reader) {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel().catch(() => undefined);
        throw new RequestError(413, `the request is larger than ${max} bytes`);
      }
      chunks.push(value);
    }
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new RequestError(400, 'the body is not JSON; send {"page": "...", "code": "..."}');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RequestError(400, 'send a JSON object: {"page": "...", "code": "..."}');
  return body as Record<string, unknown>;
}
