/**
 * LearnODIBI in a real browser (Debian's Chromium driven by playwright-core) against the real
 * site: the production build served by site/scripts/serve.mjs, with its Jupyter server and odibi
 * kernels. Screenshots go to test/.artifacts/site/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { jupyterEnv } from '../helpers/jupyter.js';
import { freePort } from '../helpers/jupyter-server.js';
import { tempDir } from '../helpers/project.js';

const ARTIFACTS = path.join(REPO, 'test/.artifacts/site');
let server: ChildProcess;
let browser: Browser;
let base: string;

beforeAll(async () => {
  if (!existsSync('/usr/bin/chromium')) throw new Error('Chromium is not installed: run `bash scripts/setup.sh --system` (npm test does this)');
  if (!existsSync(path.join(REPO, 'site/.next/BUILD_ID'))) throw new Error('the site is not built: run `npm run build`');
  await mkdir(ARTIFACTS, { recursive: true });
  const env = await jupyterEnv();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, [path.join(REPO, 'site/scripts/serve.mjs'), '--port', String(port)], {
    cwd: REPO, env: { ...env, ODIBI_SITE_RUNTIME: await tempDir('odibi-site-') }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  server.stdout!.on('data', (d) => (out += d));
  server.stderr!.on('data', (d) => (out += d));
  for (let i = 0; !out.includes('LearnODIBI is at'); i++) {
    if (i > 300 || server.exitCode !== null) throw new Error(`the site did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
});

async function open(url: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}${url}`);
  return page;
}

describe('LearnODIBI in Chromium', () => {
  it('runs a lesson cell on the kernel and shows its table', async () => {
    const page = await open('/lessons/01-first-pipeline');
    expect(await page.locator('h1').textContent()).toBe('Your first pipeline');
    const cell = page.locator('section.cell').first();
    await cell.getByRole('button', { name: 'Run' }).click();
    await cell.locator('.output-html caption').waitFor({ timeout: 60_000 });
    expect(await cell.locator('.output-html caption').textContent()).toBe('readings: 2,018 rows (first 20 shown)');
    expect(await cell.locator('.cell-status').textContent()).toMatch(/^done \[1\]$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'lesson-cell.png'), fullPage: true });
    await page.context().close();
  }, 90_000);

  it('passes an exercise and shows the progress on / after a reload', async () => {
    const page = await open('/lessons/01-first-pipeline');
    await page.locator('section.cell').first().getByRole('button', { name: 'Run' }).click();
    await page.locator('section.cell').first().locator('.output-html').waitFor({ timeout: 60_000 });
    const ex = page.locator('section.exercise');
    await ex.getByRole('button', { name: 'Check' }).click();
    await ex.locator('.verdict').waitFor({ timeout: 60_000 });
    expect(await ex.locator('.verdict').textContent()).toBe('✗ Not yet: Expected one row per device (12), got 2018.');
    await ex.getByRole('button', { name: /^Hint/ }).click();
    expect(await ex.getByRole('list', { name: 'hints' }).textContent()).toContain('Group the readings by device_id');
    await ex.getByRole('button', { name: 'Show solution' }).click();
    await ex.getByRole('button', { name: 'Check' }).click();
    await ex.locator('.verdict.pass').waitFor({ timeout: 60_000 });
    expect(await ex.locator('.verdict').textContent()).toBe('✓ Passed: Right: 12 devices, 2,018 readings in all.');
    await page.screenshot({ path: path.join(ARTIFACTS, 'exercise-passed.png'), fullPage: true });

    await page.goto(`${base}/`);
    await page.reload();
    await page.getByTestId('progress').filter({ hasText: 'exercises passed' }).waitFor();
    expect(await page.getByTestId('progress').textContent()).toMatch(/^1 of \d+ lessons read · 1 of \d+ exercises passed$/);
    expect(await page.locator('[data-lesson="01-first-pipeline"] .badge').textContent()).toBe('✓ done');
    await page.screenshot({ path: path.join(ARTIFACTS, 'progress.png'), fullPage: true });
    await page.context().close();
  }, 120_000);

  it('shows a failing cell\'s error, and the next cell still runs', async () => {
    const page = await open('/lessons/02-ingest');
    const failing = page.locator('section.cell[data-expect-error="true"]');
    await failing.getByRole('button', { name: 'Run' }).click();
    await failing.locator('.output-error').waitFor({ timeout: 60_000 });
    expect(await failing.locator('.output-error').textContent()).toMatch(/MagicError: %ingest: input file not found: .*no-such-file\.csv/);
    const first = page.locator('section.cell').first();
    await first.getByRole('button', { name: 'Run' }).click();
    await first.locator('.output-html caption').waitFor({ timeout: 60_000 });
    expect(await first.locator('.output-html caption').textContent()).toBe('devices: 12 rows');
    await page.screenshot({ path: path.join(ARTIFACTS, 'error-then-run.png'), fullPage: true });
    await page.context().close();
  }, 90_000);

  it('shows a notebook\'s saved vega-lite chart, drawn with vega', async () => {
    const page = await open('/notebooks/quickstart');
    const chart = page.locator('img.output-svg[alt*="chart of gold_device_daily"]');
    await chart.waitFor();
    const src = await chart.getAttribute('src');
    expect(decodeURIComponent(src!.replace(/^data:image\/svg\+xml;charset=utf-8,/, ''))).toMatch(/^<svg[\s\S]*class="marks"/);
    expect((await chart.boundingBox())!.width).toBeGreaterThan(200);
    await page.screenshot({ path: path.join(ARTIFACTS, 'notebook-chart.png'), fullPage: true });
    await page.context().close();
  }, 60_000);

  it('runs a cell with the keyboard alone', async () => {
    const page = await open('/lessons/01-first-pipeline');
    let found = false;
    for (let i = 0; i < 40 && !found; i++) {
      await page.keyboard.press('Tab');
      found = await page.evaluate(() => document.activeElement?.matches('section.cell button.run') ?? false);
    }
    expect(found, 'the first Run button is reachable with Tab').toBe(true);
    await page.keyboard.press('Enter');
    await page.locator('section.cell').first().locator('.output-html').waitFor({ timeout: 60_000 });
    // Edit, then Ctrl+Enter runs from the editor.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.tagName === 'TEXTAREA', undefined, { timeout: 5000 });
    await page.keyboard.press('End');
    await page.keyboard.type(' --format csv');
    await page.keyboard.press('Control+Enter');
    await page.locator('section.cell').first().locator('.cell-status', { hasText: 'done [2]' }).waitFor({ timeout: 60_000 });
    // Reset restores the lesson's code.
    const cell = page.locator('section.cell').first();
    await cell.getByRole('button', { name: 'Reset code' }).click();
    expect(await cell.locator('textarea').inputValue()).toBe('%ingest readings data/readings.csv');
    expect(await cell.getByRole('button', { name: 'Reset code' }).count()).toBe(0);
    await page.context().close();
  }, 90_000);

  it('finds lessons by their text, and links lessons in order', async () => {
    const page = await open('/');
    await page.getByRole('searchbox', { name: 'Search lessons' }).fill('watermark');
    const results = page.getByRole('list', { name: 'search results' });
    await results.waitFor();
    expect(await results.getByRole('link').allTextContents()).toContain('Streaming, exactly once');
    await page.goto(`${base}/lessons/02-ingest`);
    expect(await page.locator('a[rel="prev"]').textContent()).toBe('← Your first pipeline');
    expect(await page.locator('a[rel="next"]').textContent()).toBe('SQL transforms →');
    expect(await page.locator('.prereq a').allTextContents()).toEqual(['Your first pipeline']);
    await page.context().close();
  }, 60_000);

  it('has landmarks, labelled controls and a skip link', async () => {
    const page = await open('/lessons/01-first-pipeline');
    for (const role of ['banner', 'navigation', 'main', 'contentinfo'] as const) expect(await page.getByRole(role).count(), role).toBeGreaterThan(0);
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('button, textarea, input, a')].filter((el) => {
      const e = el as HTMLElement;
      const label = e.getAttribute('aria-label') || e.textContent?.trim() || (e.id && document.querySelector(`label[for="${e.id}"]`)?.textContent);
      return !label;
    }).map((e) => e.outerHTML.slice(0, 80)));
    expect(unlabelled).toEqual([]);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.context().close();
  }, 60_000);
});
