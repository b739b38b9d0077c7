/**
 * LearnODIBI as two hostile visitors see it: the real site (`serve.mjs`: production build, Jupyter,
 * sandboxed kernels) in Chromium. Every probe a visitor tried on the unsandboxed site is refused:
 * the host's files (from TypeScript and from SQL), the other visitor's folder, root, the network,
 * the Jupyter token, a cross-site request, a forged cookie, script in an output, a huge or a null
 * body.
 */
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { freePort } from '../helpers/jupyter-server.js';
import { launchChromium, startSite, type Site } from '../helpers/site.js';

let site: Site;
let browser: Browser;
let evil: Server;
let evilBase: string;
const visitors: Record<'a' | 'b', { context: BrowserContext; page: Page }> = {} as never;

beforeAll(async () => {
  site = await startSite();
  browser = await launchChromium();
  for (const who of ['a', 'b'] as const) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${site.base}/lessons/01-first-pipeline`);
    visitors[who] = { context, page };
  }
  // Another site on another port: what a learner might have open in another tab.
  const port = await freePort();
  evilBase = `http://127.0.0.1:${port}`;
  evil = createServer((req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><title>evil</title><form id="f" method="POST" enctype="text/plain" action="${site.base}/api/kernel/execute"><input name='{"page":"lessons/pwn-form","code":"1","x":"' value='"}'></form>`);
  });
  await new Promise<void>((r) => evil.listen(port, '127.0.0.1', r));
}, 180_000);

afterAll(async () => {
  evil?.close();
});

interface Ran {
  status: string;
  text: string;
  http: number;
}

/** Runs code as a visitor, from their page, exactly as the site's own cells do. */
async function run(who: 'a' | 'b', code: string, page = 'lessons/probe'): Promise<Ran> {
  return visitors[who].page.evaluate(async ({ code, page }) => {
    const res = await fetch('/api/kernel/execute', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ page, code }) });
    const lines = (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; status?: string; content?: Record<string, unknown> });
    const text = lines.map((l) => {
      const c = l.content ?? {};
      if (l.type === 'stream') return String(c.text);
      if (l.type === 'error') return `${c.ename}: ${c.evalue}`;
      if (l.type === 'execute_result' || l.type === 'display_data') return String((c.data as Record<string, unknown>)['text/plain'] ?? '');
      return '';
    }).join('');
    return { status: lines.find((l) => l.type === 'done')?.status ?? 'none', text, http: res.status };
  }, { code, page });
}

/** Every file a cell can see, outside the system and runtime folders, from TypeScript. */
const WALK = `
const seen: string[] = [];
const skip = new Set(['/proc', '/sys', '/dev', '/usr', ${JSON.stringify(path.join(REPO, 'node_modules'))}]);
const walk = (dir: string) => {
  let names: import('node:fs').Dirent[] = [];
  try { names = require('node:fs').readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const d of names) {
    const p = dir === '/' ? '/' + d.name : dir + '/' + d.name;
    if (skip.has(p)) continue;
    if (d.isDirectory()) walk(p); else seen.push(p);
  }
};
walk('/');
console.log(JSON.stringify(seen));`;

describe('LearnODIBI against hostile visitors', () => {
  it('runs no cell as root, and each visitor as a uid of their own', async () => {
    const ids = 'console.log(JSON.stringify([process.getuid(), process.getgid(), process.getgroups()]))';
    const [ua, ga, groups] = JSON.parse((await run('a', ids)).text) as [number, number, number[]];
    const [ub] = JSON.parse((await run('b', ids)).text) as [number, number, number[]];
    expect(ua).toBeGreaterThanOrEqual(61000);
    expect(ga).toBe(ua);
    expect(groups).not.toContain(0);
    expect(ub).not.toBe(ua);
    expect((await run('a', 'process.setuid(0)')).text).toMatch(/EPERM/);
  }, 120_000);

  it('shows no host file to TypeScript: no /etc/shadow, no real passwd, no repository, no writable runtime', async () => {
    expect((await run('a', "require('node:fs').readFileSync('/etc/shadow', 'utf8')")).text).toMatch(/ENOENT/);
    const passwd = (await run('a', "require('node:fs').readFileSync('/etc/passwd', 'utf8')")).text;
    expect(passwd).toMatch(/learner:x:6\d{4}/);
    expect(passwd).not.toMatch(/postgres|daemon|nobody/);
    expect((await run('a', `require('node:fs').readFileSync(${JSON.stringify(path.join(REPO, 'site/lib/kernel/gateway.ts'))}, 'utf8')`)).text).toMatch(/ENOENT/);
    expect((await run('a', `require('node:fs').readdirSync(${JSON.stringify(REPO)}).join(',')`)).text).not.toMatch(/site|lessons|\.git|README/);
    expect((await run('a', `require('node:fs').writeFileSync(${JSON.stringify(path.join(REPO, 'node_modules/pwned'))}, 'x')`)).text).toMatch(/EROFS|EACCES/);
    expect((await run('a', "require('node:fs').writeFileSync('data/readings.csv', 'x')")).text).toMatch(/EROFS|EACCES/);
    // The host's processes are not there to read: a PID namespace with the sandbox's own few.
    const pids = JSON.parse((await run('a', "console.log(JSON.stringify(require('node:fs').readdirSync('/proc').filter((p: string) => /^\\d+$/.test(p))))")).text) as string[];
    expect(pids.length).toBeLessThanOrEqual(4);
  }, 120_000);

  it('shows no host file to SQL either', async () => {
    const shadow = await run('a', "%%sql leak\nSELECT content FROM read_text('/etc/shadow')");
    expect(shadow.text).not.toMatch(/root:/);
    expect((await run('a', "%%sql leak2\nSELECT content FROM read_text('/etc/passwd')")).status).toBe('ok');
    const passwd = (await run('a', "console.log((await odibi.rows('leak2'))[0].content)")).text;
    expect(passwd).toMatch(/learner:x:6\d{4}/);
    expect(passwd).not.toMatch(/postgres/);
    expect((await run('a', `%%sql leak3\nSELECT count(*)::INT AS n FROM glob(['${REPO}/site/**', '${REPO}/core/src/**', '${REPO}/kernel/src/**', '${REPO}/.git/**', '${REPO}/lessons/*.mdx'])`)).status).toBe('ok');
    expect((await run('a', "console.log(JSON.stringify(await odibi.rows('leak3')))")).text.trim()).toBe('[{"n":0}]');
  }, 120_000);

  it('keeps each visitor\'s folder from the other: not by path, not by walking the file system', async () => {
    await run('a', "require('node:fs').writeFileSync('secret-of-a.txt', 'A-SECRET'); require('node:fs').writeFileSync('/tmp/also-a.txt', 'A-SECRET'); 'ok'");
    expect((await run('a', "require('node:fs').readFileSync('secret-of-a.txt', 'utf8')")).text).toBe("'A-SECRET'");
    const seen = JSON.parse((await run('b', WALK)).text) as string[];
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((f) => /secret-of-a|also-a/.test(f))).toEqual([]);
    // Nothing of the host's Jupyter or of other kernels: no connection files, no runtime folder.
    expect(seen.filter((f) => /nbserver|kernel-.*\.json|sandbox\.json|uids\//.test(f))).toEqual([]);
    expect(seen.filter((f) => f.startsWith(site.runtime))).toEqual([]);
    expect((await run('b', `require('node:fs').readdirSync(${JSON.stringify(site.runtime)})`)).text).toMatch(/ENOENT/);
    expect((await run('b', "%%sql theirs\nSELECT count(*)::INT AS n FROM glob('/**/secret-of-a*')")).status).toBe('ok');
    expect((await run('b', "console.log(JSON.stringify(await odibi.rows('theirs')))")).text.trim()).toBe('[{"n":0}]');
  }, 120_000);

  it('has no network: no fetch to the site or to Jupyter, no listening socket', async () => {
    const { url } = site.jupyter();
    for (const target of [site.base, url, 'http://1.1.1.1/']) {
      const r = await run('a', `await fetch(${JSON.stringify(target)}).then((r) => 'reached ' + r.status)`);
      expect(r.status).toBe('error');
      expect(r.text).toMatch(/fetch failed/);
    }
    const listen = await run('a', "await new Promise((ok, fail) => require('node:net').createServer().on('error', fail).listen(0, '0.0.0.0', () => ok('listening')))");
    expect(listen.text).toMatch(/EACCES/);
  }, 120_000);

  it('never lets a cell read the Jupyter token: not in its environment, not in any process it can see', async () => {
    const { token } = site.jupyter();
    expect(token.length).toBeGreaterThanOrEqual(32);
    const dump = await run('a', `
const fs = require('node:fs');
const parts = [JSON.stringify(process.env), process.argv.join(' ')];
for (const p of fs.readdirSync('/proc')) {
  for (const f of ['cmdline', 'environ']) { try { parts.push(fs.readFileSync('/proc/' + p + '/' + f, 'utf8')); } catch {} }
}
console.log(parts.join('\\n'));`);
    expect(dump.status).toBe('ok');
    expect(dump.text).not.toContain(token);
    expect(dump.text).not.toMatch(/JUPYTER_TOKEN|ODIBI_JUPYTER|ODIBI_SITE_SECRET/);
  }, 120_000);

  it('refuses a request from another site before any code runs: a text/plain fetch, a form post, a foreign Origin', async () => {
    const { url, token } = site.jupyter();
    const kernels = async () => ((await (await fetch(`${url}api/kernels`, { headers: { authorization: `token ${token}` } })).json()) as unknown[]).length;
    const before = await kernels();
    const page = await visitors.a.context.newPage();
    await page.goto(`${evilBase}/`);
    const statuses: number[] = [];
    page.on('response', (r) => {
      if (r.url().startsWith(`${site.base}/api/`)) statuses.push(r.status());
    });
    const fetched = await page.evaluate(async (target) => {
      try {
        await fetch(`${target}/api/kernel/execute`, { method: 'POST', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ page: 'lessons/pwn', code: 'process.getuid()' }) });
        return 'read';
      } catch {
        return 'blocked';
      }
    }, site.base);
    expect(fetched).toBe('blocked');
    await Promise.all([page.waitForNavigation(), page.evaluate(() => (document.getElementById('f') as HTMLFormElement).submit())]);
    expect(await page.textContent('body')).toMatch(/requests from other sites are refused|send application\/json/);
    await page.close();
    expect(statuses.length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 403 || s === 415)).toBe(true);
    // Straight from a script, with the foreign Origin a browser would send.
    const direct = await fetch(`${site.base}/api/kernel/execute`, { method: 'POST', headers: { 'content-type': 'application/json', origin: evilBase }, body: JSON.stringify({ page: 'lessons/pwn', code: '1' }) });
    expect(direct.status).toBe(403);
    expect(await direct.json()).toEqual({ error: 'requests from other sites are refused' });
    expect(await kernels()).toBe(before);
  }, 120_000);

  it('gives a forged or tampered cookie a fresh identity, never the visitor it names', async () => {
    await run('a', 'const mine = "only a knows this"; mine', 'lessons/forge');
    const real = (await visitors.a.context.cookies()).find((c) => c.name === 'odibi_visitor')!;
    const id = real.value.slice(0, real.value.lastIndexOf('.'));
    for (const value of [id, `${id}.AAAA`, `${id}.${real.value.slice(real.value.lastIndexOf('.') + 2)}`]) {
      const context = await browser.newContext();
      await context.addCookies([{ name: 'odibi_visitor', value, url: site.base }]);
      const page = await context.newPage();
      await page.goto(`${site.base}/lessons/01-first-pipeline`);
      const r = await page.evaluate(async () => {
        const res = await fetch('/api/kernel/execute', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ page: 'lessons/forge', code: 'mine' }) });
        return res.text();
      });
      expect(r).toMatch(/Cannot find name 'mine'/);
      await page.evaluate(() => fetch('/api/kernel/release', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ page: 'lessons/forge' }) }));
      const cookie = (await context.cookies()).find((c) => c.name === 'odibi_visitor')!;
      expect(cookie.value).not.toBe(value);
      expect(cookie.value.startsWith(`${id}.`)).toBe(false);
      expect(cookie.httpOnly).toBe(true);
      await context.close();
    }
  }, 120_000);

  it('never runs script from a cell\'s HTML output in the site\'s pages', async () => {
    const page = visitors.b.page;
    await page.goto(`${site.base}/lessons/01-first-pipeline`);
    const csp = (await page.request.get(`${site.base}/lessons/01-first-pipeline`)).headers()['content-security-policy'];
    expect(csp).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
    const cell = page.locator('section.cell').first();
    await cell.getByRole('button', { name: 'Edit' }).click();
    await cell.locator('textarea').fill([
      `import * as tslab from 'tslab';`,
      `tslab.display.html('<b id="kept">bold</b><img id="x" src="x" onerror="window.__pwned = 1"><script>window.__pwned = 2</script>');`,
      `tslab.display.html('<svg><script>window.__pwned = 3</script><a href="javascript:window.__pwned = 4"><text>t</text></a></svg><a id="js" href="javascript:window.__pwned = 5">link</a>');`,
      `tslab.display.html('<style>body { display: none }</style><form action="https://evil.example"><input name="q"></form>');`,
    ].join('\n'));
    await cell.getByRole('button', { name: 'Run' }).click();
    await cell.locator('.cell-status', { hasText: /^(done|the cell)/ }).waitFor({ timeout: 60_000 });
    expect(await cell.locator('.outputs').innerHTML()).toContain('<b id="kept">bold</b>');
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await cell.locator('img#x').getAttribute('onerror')).toBeNull();
    expect(await cell.locator('.outputs script, .outputs style, .outputs form').count()).toBe(0);
    expect(await cell.locator('a#js').getAttribute('href')).toBeNull();
    expect(await page.locator('body').isVisible()).toBe(true);
  }, 120_000);

  it('refuses a huge body while it streams, and answers a null body or a wrong action with JSON', async () => {
    const headers = { 'content-type': 'application/json', origin: site.base };
    const huge = await fetch(`${site.base}/api/kernel/execute`, { method: 'POST', headers, body: `{"page":"lessons/x","code":"${'a'.repeat(50 * 1024 * 1024)}"}` });
    expect(huge.status).toBe(413);
    expect((await huge.json()).error).toMatch(/larger than/);
    // No Content-Length: the cap holds while the body streams in.
    const chunks = new ReadableStream({ start(c) { for (let i = 0; i < 64; i++) c.enqueue(new Uint8Array(1024 * 1024).fill(97)); c.close(); } });
    const streamed = await fetch(`${site.base}/api/kernel/execute`, { method: 'POST', headers, body: chunks, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    const nul = await fetch(`${site.base}/api/kernel/execute`, { method: 'POST', headers, body: 'null' });
    expect(nul.status).toBe(400);
    expect(await nul.json()).toEqual({ error: 'send a JSON object: {"page": "...", "code": "..."}' });
    const bad = await fetch(`${site.base}/api/kernel/nope`, { method: 'POST', headers, body: '{}' });
    expect(bad.status).toBe(404);
    expect((await bad.json()).error).toMatch(/no action "nope"/);
  }, 120_000);
});
