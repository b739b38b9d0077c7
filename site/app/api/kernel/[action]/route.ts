/**
 * The browser's door to the kernel: POST /api/kernel/execute streams a cell's outputs back as
 * NDJSON lines as they come ({"type": "stream", ...}, then {"type": "done", ...});
 * /api/kernel/interrupt, /restart and /release act on the visitor's kernel for the page. Only
 * same-origin JSON gets past `checkOrigin`; every answer, refusals and failures included, is JSON.
 * The visitor is a signed httpOnly cookie; the Jupyter server and its token stay on this side.
 */
import { cookies } from 'next/headers';
import { BusyError, gateway } from '@/lib/kernel/gateway';
import { checkOrigin, readJsonBody, RequestError } from '@/lib/web/guard';
import { newVisitorId, signVisitor, verifyVisitor, VISITOR_COOKIE } from '@/lib/web/visitor';

export const dynamic = 'force-dynamic';

/** lessons/<slug> or notebooks/<slug>: the kernel runs in that folder of the visitor's copy. */
const PAGE = /^(lessons|notebooks)\/[\w-]{1,80}$/;
const MAX_CODE = 100_000;
/** Code of at most MAX_CODE characters, as UTF-8 inside JSON, with room for the other fields. */
const MAX_BODY = 4 * MAX_CODE + 4096;
const ACTIONS = new Set(['execute', 'interrupt', 'restart', 'release']);

function secret(): string {
  const s = process.env.ODIBI_SITE_SECRET;
  if (!s || s.length < 32) throw new Error('ODIBI_SITE_SECRET is not set (32+ characters); start the site with `npm start`');
  return s;
}

async function visitor(): Promise<string> {
  const jar = await cookies();
  const known = verifyVisitor(jar.get(VISITOR_COOKIE)?.value, secret());
  if (known) return known;
  const id = newVisitorId();
  jar.set(VISITOR_COOKIE, signVisitor(id, secret()), { httpOnly: true, sameSite: 'strict', path: '/', maxAge: 60 * 60 * 24 * 30 });
  return id;
}

function json(status: number, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
}

export async function POST(request: Request, { params }: { params: Promise<{ action: string }> }): Promise<Response> {
  try {
    const { action } = await params;
    checkOrigin(request.headers, { hosts: process.env.ODIBI_SITE_HOSTS?.split(',').filter(Boolean) });
    if (!ACTIONS.has(action)) return json(404, { error: `no action "${action}"; use execute, interrupt, restart or release` });
    const body = await readJsonBody(request, MAX_BODY);
    const page = typeof body.page === 'string' ? body.page : '';
    if (!PAGE.test(page)) return json(400, { error: 'page must be lessons/<slug> or notebooks/<slug>' });
    const who = await visitor();
    const g = gateway();
    if (action === 'interrupt') return json(200, { interrupted: await g.interrupt(who, page) });
    if (action === 'restart') return json(200, { restarted: true, kernel: await g.restart(who, page) });
    if (action === 'release') {
      await g.release(who, page);
      return json(200, { released: true });
    }
    if (typeof body.code !== 'string' || body.code.length > MAX_CODE) return json(400, { error: `code must be a string of at most ${MAX_CODE.toLocaleString('en')} characters` });
    const code = body.code;
    const after = typeof body.after === 'string' ? body.after : undefined;
    const force = body.force === true;
    return ndjson(async (send) => {
      try {
        const result = await g.execute(who, page, code, (type, content) => send({ type, content }), { after, force });
        send({ type: 'done', ...result });
      } catch (err) {
        if (err instanceof BusyError) send({ type: 'done', status: 'busy', message: err.message, retryAfterMs: err.retryAfterMs });
        else send({ type: 'done', status: 'failed', message: (err as Error).message });
      }
    });
  } catch (err) {
    if (err instanceof RequestError) return json(err.status, { error: err.message });
    return json(500, { error: `the server could not run this: ${(err as Error).message}` });
  }
}

function ndjson(produce: (send: (line: Record<string, unknown>) => void) => Promise<void>): Response {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      let open = true;
      const send = (line: Record<string, unknown>) => {
        if (open) controller.enqueue(encoder.encode(`${JSON.stringify(line)}\n`));
      };
      try {
        await produce(send);
      } finally {
        open = false;
        controller.close();
      }
    },
  });
  return new Response(stream, { headers: { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' } });
}
