/**
 * The site's kernel gateway against a real Jupyter server and odibi kernels: isolation between
 * visitors, the cap on kernels ("busy"), the per-execution timeout, interrupt, restart and idle
 * culling.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { startJupyter, type JupyterServer } from '../helpers/jupyter-server.js';
import { BusyError, KernelGateway } from '../../site/lib/kernel/gateway.js';

let jupyter: JupyterServer;
const gateways: KernelGateway[] = [];

beforeAll(async () => {
  jupyter = await startJupyter();
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.dispose()));
});

function gateway(options: Partial<ConstructorParameters<typeof KernelGateway>[0]> = {}): KernelGateway {
  const g = new KernelGateway({
    baseUrl: jupyter.baseUrl, token: jupyter.token, rootDir: jupyter.root,
    dataDir: path.join(REPO, 'examples/iot/data'), examplesDir: path.join(REPO, 'examples'),
    maxKernels: 2, idleMs: 60_000, timeoutMs: 30_000, ...options,
  });
  gateways.push(g);
  return g;
}

async function run(g: KernelGateway, visitor: string, page: string, code: string) {
  const out: string[] = [];
  const r = await g.execute(visitor, page, code, (type, content) => {
    if (type === 'execute_result') out.push(String((content.data as Record<string, unknown>)['text/plain']));
    if (type === 'error') out.push(`${content.ename}: ${content.evalue}`);
    if (type === 'stream') out.push(String(content.text));
  });
  return { ...r, text: out.join('') };
}

describe('kernel gateway', () => {
  it('gives each visitor a kernel and a folder of their own; cells of a page share one', async () => {
    const g = gateway();
    expect((await run(g, 'ann', 'lessons/a', 'const who = "ann"; who')).text).toBe('ann');
    expect((await run(g, 'ann', 'lessons/a', 'who + "!"')).text).toBe('ann!');
    // Bob's kernel has never heard of ann's variable.
    expect((await run(g, 'bob', 'lessons/a', 'who')).text).toBe("TypeScriptError: 1:1 - Cannot find name 'who'.");
    expect((await run(g, 'bob', 'lessons/a', 'process.cwd()')).text).toBe(path.join(jupyter.root, 'visitors/bob/lessons'));
    expect((await run(g, 'bob', 'lessons/a', '%ingest devices data/devices.csv')).status).toBe('ok');
  }, 90_000);

  it('refuses a kernel past the cap with "busy", and frees it when a page is released', async () => {
    const g = gateway({ maxKernels: 1 });
    expect((await run(g, 'c1', 'lessons/a', '1')).status).toBe('ok');
    await expect(run(g, 'c2', 'lessons/a', '1')).rejects.toThrow(BusyError);
    await expect(run(g, 'c2', 'lessons/a', '1')).rejects.toThrow('all 1 kernels are in use; try again in a minute');
    await g.release('c1', 'lessons/a');
    expect((await run(g, 'c2', 'lessons/a', '2')).text).toBe('2');
  }, 90_000);

  it('interrupts a cell that runs past the time limit, and the kernel goes on', async () => {
    const g = gateway({ timeoutMs: 1500 });
    const r = await run(g, 'd', 'lessons/a', 'while (true) {}');
    expect(r.status).toBe('timeout');
    expect((await run(g, 'd', 'lessons/a', '40 + 2')).text).toBe('42');
  }, 90_000);

  it('interrupts on request, and restart forgets everything', async () => {
    const g = gateway();
    await run(g, 'e', 'lessons/a', 'const kept = 1');
    const long = run(g, 'e', 'lessons/a', 'await new Promise((r) => setTimeout(r, 60_000))');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await g.interrupt('e', 'lessons/a')).toBe(true);
    expect((await long).status).toBe('error');
    await g.restart('e', 'lessons/a');
    expect((await run(g, 'e', 'lessons/a', 'kept')).text).toBe("TypeScriptError: 1:1 - Cannot find name 'kept'.");
  }, 90_000);

  it('shuts down kernels left idle, by itself', async () => {
    const g = gateway({ idleMs: 100 });
    await run(g, 'f', 'lessons/a', '1');
    expect(g.size).toBe(1);
    // The gateway's own sweep (every second here) shuts it down; nobody calls cullIdle.
    for (let i = 0; i < 50 && g.size > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(g.size).toBe(0);
    // The next execution starts a fresh kernel.
    expect((await run(g, 'f', 'lessons/a', 'typeof globalThis')).text).toBe('object');
  }, 90_000);
});
