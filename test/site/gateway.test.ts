/**
 * The site's kernel gateway against a real Jupyter server and sandboxed odibi kernels, as
 * `npm start` runs them: isolation between visitors, the caps (per visitor, and for everyone with
 * the real wait), the cell timeout and the restart of a cell that will not stop, out-of-memory
 * kills, idle culling, and a client that is told when its page's kernel is not the one it knew.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JupyterHost } from '@odibi/kernel/host';
import { DATA_DIR, EXAMPLES_DIR, startSiteKernels } from '../helpers/site-kernels.js';
import { BusyError, KernelGateway, type GatewayOptions } from '../../site/lib/kernel/gateway.js';

let host: JupyterHost;
const gateways: KernelGateway[] = [];

beforeAll(async () => {
  // A small memory limit keeps the out-of-memory case quick.
  host = await startSiteKernels({ limits: { memoryBytes: 640 * 1024 * 1024 } });
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.dispose()));
});

function gateway(options: Partial<GatewayOptions> = {}): KernelGateway {
  const g = new KernelGateway({
    baseUrl: host.baseUrl, token: host.token, rootDir: host.rootDir, sandboxStateDir: host.sandboxStateDir,
    dataDir: DATA_DIR, examplesDir: EXAMPLES_DIR,
    maxKernels: 2, idleMs: 60_000, timeoutMs: 30_000, ...options,
  });
  gateways.push(g);
  return g;
}

async function run(g: KernelGateway, visitor: string, page: string, code: string, options: { after?: string; force?: boolean } = {}) {
  const out: string[] = [];
  const r = await g.execute(visitor, page, code, (type, content) => {
    if (type === 'execute_result') out.push(String((content.data as Record<string, unknown>)['text/plain']));
    if (type === 'error') out.push(`${content.ename}: ${content.evalue}`);
    if (type === 'stream') out.push(String(content.text));
  }, options);
  return { ...r, text: out.join('') };
}

describe('kernel gateway', () => {
  it('gives each visitor a sandboxed kernel and a folder of their own; cells of a page share one', async () => {
    const g = gateway();
    expect((await run(g, 'ann', 'lessons/a', 'const who = "ann"; who')).text).toBe("'ann'");
    expect((await run(g, 'ann', 'lessons/a', 'who + "!"')).text).toBe("'ann!'");
    // Bob's kernel has never heard of ann's variable.
    expect((await run(g, 'bob', 'lessons/a', 'who')).text).toBe("TypeScriptError: 1:1 - Cannot find name 'who'.");
    expect((await run(g, 'bob', 'lessons/a', 'process.cwd()')).text).toBe("'/home/learner/lessons'");
    expect((await run(g, 'bob', 'lessons/a', '%ingest devices data/devices.csv')).status).toBe('ok');
    const uids = [(await run(g, 'ann', 'lessons/a', 'process.getuid()')).text, (await run(g, 'bob', 'lessons/a', 'process.getuid()')).text];
    expect(uids.map(Number).every((u) => u >= 61000)).toBe(true);
    expect(uids[0]).not.toBe(uids[1]);
  }, 90_000);

  it('keeps a visitor to their cap: a new page takes the kernel used longest ago, and that page says so', async () => {
    const g = gateway({ maxKernels: 4, maxPerVisitor: 2 });
    const a = await run(g, 'cap', 'lessons/a', 'const onA = 1; onA');
    await run(g, 'cap', 'lessons/b', '2');
    await run(g, 'cap', 'lessons/c', '3');
    expect(g.size).toBe(2);
    const back = await run(g, 'cap', 'lessons/a', 'onA', { after: a.kernel });
    expect(back.status).toBe('lost');
    expect(back.message).toBe('The kernel for this page was restarted: you opened more than 2 pages with code, and this one had been used longest ago. Everything the cells above defined is gone.');
    // The learner chose to run it anyway: a fresh kernel.
    const forced = await run(g, 'cap', 'lessons/a', '40 + 2', { after: a.kernel, force: true });
    expect(forced.text).toBe('42');
    expect(forced.kernel).not.toBe(a.kernel);
  }, 120_000);

  it('at the global cap, says when a kernel frees up, then gives an idle one to the next visitor', async () => {
    const g = gateway({ maxKernels: 1, evictIdleMs: 60_000 });
    const first = await run(g, 'c1', 'lessons/a', '1');
    const busy = await run(g, 'c2', 'lessons/a', '1').catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(BusyError);
    expect((busy as BusyError).retryAfterMs).toBeGreaterThan(55_000);
    expect((busy as BusyError).retryAfterMs).toBeLessThanOrEqual(60_000);
    expect((busy as BusyError).message).toMatch(/^all 1 kernels are in use by other learners; one frees up in about (5\d|60) seconds; try again then$/);

    const g2 = gateway({ maxKernels: 1, evictIdleMs: 300 });
    const c1 = await run(g2, 'd1', 'lessons/a', '1');
    await new Promise((r) => setTimeout(r, 400));
    expect((await run(g2, 'd2', 'lessons/a', '2')).text).toBe('2');
    const back = await run(g2, 'd1', 'lessons/a', '1', { after: c1.kernel });
    expect(back.status).toBe('lost');
    expect(back.message).toMatch(/another learner needed a kernel after this one had been idle/);
    expect(first.status).toBe('ok');
  }, 120_000);

  it('interrupts a busy loop at the time limit, and the kernel goes on', async () => {
    // A generous grace: on a crowded CI machine the interrupt itself can take a few seconds.
    const g = gateway({ timeoutMs: 1500, graceMs: 8000 });
    await run(g, 'd', 'lessons/a', 'const kept = 7');
    const r = await run(g, 'd', 'lessons/a', 'while (true) {}');
    expect(r.status).toBe('timeout');
    expect(r.message).toBe('The cell ran past the 1.5 s limit and was interrupted.');
    expect((await run(g, 'd', 'lessons/a', 'kept * 6', { after: r.kernel })).text).toBe('42');
  }, 90_000);

  it('restarts the kernel of a cell that keeps running after the interrupt, and says so', async () => {
    // A fresh kernel's first TypeScript cell takes a second or two, and several on a crowded CI
    // machine: the limit leaves room for it.
    const g = gateway({ timeoutMs: 8000, graceMs: 1500 });
    await run(g, 'e', 'lessons/a', '(globalThis as any).kept = 7');
    // Starves the event loop: no interrupt, no reply, ever.
    const starving = await run(g, 'e', 'lessons/a', 'for (;;) await Promise.resolve();');
    expect(starving.status).toBe('timeout');
    expect(starving.message).toMatch(/kept running after it was interrupted, so its kernel was restarted/);
    expect((await run(g, 'e', 'lessons/a', '(globalThis as any).kept ?? "gone"', { after: starving.kernel })).text).toBe("'gone'");
    // The cell's promise is interrupted, but a timer it started keeps a core busy.
    await run(g, 'e', 'lessons/a', '(globalThis as any).kept = 7');
    const background = await run(g, 'e', 'lessons/a', 'setInterval(() => { const t = Date.now(); while (Date.now() - t < 95) {} }, 100); await new Promise(() => {});');
    expect(background.status).toBe('timeout');
    expect(background.message).toMatch(/so its kernel was restarted/);
    expect((await run(g, 'e', 'lessons/a', '(globalThis as any).kept ?? "gone"', { after: background.kernel })).text).toBe("'gone'");
  }, 120_000);

  it('tells the cell that ran the kernel out of memory, and the kernel comes back empty', async () => {
    const g = gateway();
    await run(g, 'm', 'lessons/a', '(globalThis as any).kept = 7');
    const r = await run(g, 'm', 'lessons/a', 'const hog: Buffer[] = []; for (let i = 0; i < 100; i++) hog.push(Buffer.alloc(50e6, 1)); hog.length');
    expect(r.status).toBe('lost');
    expect(r.message).toBe('The kernel for this page was restarted: it used more than its 640 MiB of memory. Everything the cells above defined is gone.');
    expect((await run(g, 'm', 'lessons/a', '(globalThis as any).kept ?? "gone"', { after: r.kernel })).text).toBe("'gone'");
  }, 120_000);

  it('says which limit a cell ran into: the disk quota, the process limit, DuckDB\'s memory', async () => {
    const g = gateway();
    const traceback = async (code: string) => {
      const lines: string[] = [];
      const r = await g.execute('lim', 'lessons/a', code, (type, content) => {
        if (type === 'error') lines.push(...(content.traceback as string[]));
      });
      return { status: r.status, text: lines.join('\n') };
    };
    const disk = await traceback("const fs = require('node:fs'); const fd = fs.openSync('big.bin', 'w'); const mb = Buffer.alloc(1024 * 1024, 1); try { for (let i = 0; i < 1000; i++) fs.writeSync(fd, mb); } finally { fs.closeSync(fd); }");
    expect(disk.status).toBe('error');
    expect(disk.text).toMatch(/ENOSPC[\s\S]*hint: this sandbox's folder \(\/home\/learner\) holds at most 128 MiB; delete files you no longer need/);
    await traceback("require('node:fs').rmSync('big.bin')");
    const procs = await traceback("const cp = require('node:child_process'); const kids: any[] = []; let failed: any; for (let i = 0; i < 400 && !failed; i++) { const k = cp.spawn('/usr/bin/sleep', ['30']); k.on('error', (e: any) => { failed = e; }); kids.push(k); await new Promise((r) => setImmediate(r)); } for (const k of kids) k.kill(); if (failed) throw failed;");
    expect(procs.text).toMatch(/EAGAIN[\s\S]*hint: this sandbox runs at most 256 processes and threads at once/);
    const duck = await traceback("%%sql big\nSELECT list(repeat('x', 1000) || i) AS l FROM range(1000000) t(i)");
    expect(duck.text).toMatch(/Out of Memory Error[\s\S]*hint: DuckDB may use 256 MiB in this sandbox/);
  }, 120_000);

  it('interrupts on request, and restart forgets everything', async () => {
    const g = gateway();
    await run(g, 'f', 'lessons/a', 'const kept = 1');
    const long = run(g, 'f', 'lessons/a', 'await new Promise((r) => setTimeout(r, 60_000))');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await g.interrupt('f', 'lessons/a')).toBe(true);
    expect((await long).status).toBe('error');
    const fresh = await g.restart('f', 'lessons/a');
    expect((await run(g, 'f', 'lessons/a', 'kept', { after: fresh })).text).toBe("TypeScriptError: 1:1 - Cannot find name 'kept'.");
  }, 90_000);

  it('shuts down kernels left idle, by itself; the page is told, a fresh page is not', async () => {
    const g = gateway({ idleMs: 100 });
    const r = await run(g, 'h', 'lessons/a', '1');
    expect(g.size).toBe(1);
    // The gateway's own sweep (every second here) shuts it down; nobody calls cullIdle.
    for (let i = 0; i < 50 && g.size > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(g.size).toBe(0);
    const back = await run(g, 'h', 'lessons/a', '1', { after: r.kernel });
    expect(back.status).toBe('lost');
    expect(back.message).toMatch(/it was idle for \d+ seconds and was shut down/);
    expect((await run(g, 'h', 'lessons/a', 'typeof globalThis')).text).toBe("'object'");
  }, 90_000);

  it('releases a page\'s kernel when the learner leaves', async () => {
    const g = gateway();
    const r = await run(g, 'k', 'lessons/a', '1');
    await g.release('k', 'lessons/a');
    expect(g.size).toBe(0);
    const back = await run(g, 'k', 'lessons/a', '1', { after: r.kernel });
    expect(back.message).toBe('The kernel for this page was restarted: it was shut down when you left the page. Everything the cells above defined is gone.');
  }, 90_000);
});
