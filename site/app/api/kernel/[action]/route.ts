/**
 * The browser's door to the kernel: POST /api/kernel/execute streams a cell's outputs back as
 * NDJSON lines as they come ({"type": "stream", ...}, then {"type": "done", ...});
 * /api/kernel/interrupt and /api/kernel/restart act on the visitor's kernel for the page. The
 * visitor is an httpOnly cookie; the Jupyter server and its token stay on this side.
 */
import { randomUUID } from 'node:crypto';
import { cookies } from 'next/headers';
import { BusyError, gateway } from '@/lib/kernel/gateway';

export const dynamic = 'force-dynamic';

const VISITOR = 'odibi_visitor';
/** lessons/<slug> or notebooks/<slug>: the kernel runs in that folder of the visitor's copy. */
const PAGE = /^(lessons|notebooks)\/[\w-]{1,80}$/;

async function visitor(): Promise<string> {
  const jar = await cookies();
  const existing = jar.get(VISITOR)?.value;
  if (existing && /^[\w-]{8,64}$/.test(existing)) return existing;
  const id = randomUUID();
  jar.set(VISITOR, id, { httpOnly: true, sameSite: 'strict', path: '/', maxAge: 60 * 60 * 24 * 30 });
  return id;
}

function json(status: number, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export async function POST(request: Request, { params }: { params: Promise<{ action: string }> }): Promise<Response> {
  const { action } = await params;
  let body: { page?: unknown; code?: unknown };
  try {
    body = (await request.json()) as typeof body;
  } catch {
    return json(400, { error: 'send JSON: {"page": "...", "code": "..."}' });
  }
  const page = String(body.page ?? '');
  if (!PAGE.test(page)) return json(400, { error: 'page must be lessons/<slug> or notebooks/<slug>' });
  const who = await visitor();
  let g: ReturnType<typeof gateway>;
  try {
    g = gateway();
  } catch (err) {
    return json(503, { error: (err as Error).message });
  }
  if (action === 'interrupt') return json(200, { interrupted: await g.interrupt(who, page) });
  if (action === 'restart') {
    await g.restart(who, page);
    return json(200, { restarted: true });
  }
  if (action !== 'execute') return json(404, { error: `no action ${action}` });
  if (typeof body.code !== 'string' || body.code.length > 100_000) return json(400, { error: 'code must be a string (at most 100,000 characters)' });
  const code = body.code;

  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (line: Record<string, unknown>) => controller.enqueue(encoder.encode(`${JSON.stringify(line)}\n`));
      try {
        const result = await g.execute(who, page, code, (type, content) => send({ type, content }));
        send({ type: 'done', ...result });
      } catch (err) {
        send({ type: 'done', status: err instanceof BusyError ? 'busy' : 'failed', message: (err as Error).message });
      } finally {
        controller.close();
      }
    },
  });
  return new Response(stream, { headers: { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' } });
}
