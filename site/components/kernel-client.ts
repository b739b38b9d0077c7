/** The browser side of /api/kernel: runs code and streams its outputs as they come. */
import { fromJupyter, type ShownOutput } from '@/lib/content/outputs';

export interface Done {
  status: 'ok' | 'error' | 'timeout' | 'lost' | 'busy' | 'failed';
  executionCount?: number;
  /** The page's kernel now: the next request names it in `after`. */
  kernel?: string;
  message?: string;
  retryAfterMs?: number;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

export async function execute(page: string, code: string, options: { after?: string; force?: boolean }, onOutput: (o: ShownOutput, type: string, content: Record<string, unknown>) => void): Promise<Done> {
  const res = await fetch('/api/kernel/execute', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ page, code, ...options }) });
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    return { status: 'failed', message: body.error ?? `the server answered ${res.status}` };
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  let done: Done = { status: 'failed', message: 'the connection closed before the cell finished' };
  for (;;) {
    const { value, done: end } = await reader.read();
    if (end) break;
    buf += value;
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      const msg = JSON.parse(line) as { type: string; content?: Record<string, unknown> } & Done;
      if (msg.type === 'done') done = msg;
      else {
        const shown = fromJupyter(msg.type, msg.content ?? {});
        if (shown) onOutput(shown, msg.type, msg.content ?? {});
      }
    }
  }
  return done;
}

export async function control(page: string, action: 'interrupt' | 'restart'): Promise<{ kernel?: string }> {
  const res = await fetch(`/api/kernel/${action}`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ page }) });
  return (await res.json().catch(() => ({}))) as { kernel?: string };
}

/** Gives the page's kernel back; keepalive lets it go out while the page is being left. */
export function release(page: string): void {
  void fetch('/api/kernel/release', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ page }), keepalive: true }).catch(() => undefined);
}
