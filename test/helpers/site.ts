/**
 * The real LearnODIBI for browser tests: the production build served by site/scripts/serve.mjs
 * (its Jupyter server and sandboxed kernels included), and Debian's Chromium driven by
 * playwright-core. Both are stopped after the file's tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll } from 'vitest';
import { REPO } from './cli.js';
import { jupyterEnv } from './jupyter.js';
import { freePort } from './jupyter-server.js';
import { tempDir } from './project.js';

export interface Site {
  base: string;
  port: number;
  /** ODIBI_SITE_RUNTIME: where the site keeps Jupyter's files and the kernels' state. */
  runtime: string;
  /** The Jupyter server behind the site, as only the server side knows it. */
  jupyter(): { url: string; token: string };
}

const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(stops.splice(0).map((s) => s()));
});

export async function startSite(env: NodeJS.ProcessEnv = {}): Promise<Site> {
  if (!existsSync(path.join(REPO, 'site/.next/BUILD_ID'))) throw new Error('the site is not built: run `npm run build`');
  const port = await freePort();
  const runtime = await tempDir('odibi-site-');
  const server: ChildProcess = spawn(process.execPath, [path.join(REPO, 'site/scripts/serve.mjs'), '--port', String(port)], {
    cwd: REPO, env: { ...(await jupyterEnv()), ODIBI_SITE_RUNTIME: runtime, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  server.stdout!.on('data', (d) => (out += d));
  server.stderr!.on('data', (d) => (out += d));
  stops.push(async () => {
    if (server.exitCode !== null) return;
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  });
  for (let i = 0; !out.includes('LearnODIBI is at'); i++) {
    if (i > 600 || server.exitCode !== null) throw new Error(`the site did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    runtime,
    jupyter() {
      const dir = path.join(runtime, 'jupyter-runtime');
      const file = readdirSync(dir).find((f) => /^nbserver-\d+\.json$/.test(f));
      const info = JSON.parse(readFileSync(path.join(dir, file!), 'utf8')) as { url: string; token: string };
      return { url: info.url, token: info.token };
    },
  };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync('/usr/bin/chromium')) throw new Error('Chromium is not installed: run `bash scripts/setup.sh --system` (npm test does this)');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  stops.push(() => browser.close());
  return browser;
}
