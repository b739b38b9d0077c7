/**
 * LearnODIBI in a real browser (Debian's Chromium driven by playwright-core) against the real
 * site: the production build served by site/scripts/serve.mjs, with its Jupyter server and odibi
 * kernels. Screenshots go to test/.artifacts/site/.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { launchChromium, startSite, type Site } from '../helpers/site.js';

const ARTIFACTS = path.join(REPO, 'test/.artifacts/site');
let site: Site;
let browser: Browser;
let base: string;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  site = await startSite();
  base = site.base;
  browser = await launchChromium();
}, 120_000);

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

  it('says when the page\'s kernel went away, and runs the cells above on request', async () => {
    const page = await open('/lessons/01-first-pipeline');
    const cells = page.locator('section.cell');
    await cells.nth(0).getByRole('button', { name: 'Run' }).click();
    await cells.nth(0).locator('.output-html caption').waitFor({ timeout: 60_000 });
    // The kernel goes away behind the page's back, as after an idle cull or an out-of-memory kill.
    await page.evaluate(() => fetch('/api/kernel/release', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ page: 'lessons/01-first-pipeline' }) }));
    await cells.nth(1).getByRole('button', { name: 'Run' }).click();
    const notice = cells.nth(1).locator('.kernel-notice');
    await notice.waitFor({ timeout: 60_000 });
    expect(await notice.locator('p').textContent()).toBe('The kernel for this page was restarted: it was shut down when you left the page. Everything the cells above defined is gone.');
    await page.screenshot({ path: path.join(ARTIFACTS, 'kernel-notice.png'), fullPage: true });
    await notice.getByRole('button', { name: 'Run the cells above, then this one' }).click();
    await cells.nth(1).locator('.output-html caption').waitFor({ timeout: 60_000 });
    expect(await cells.nth(1).locator('.output-html caption').textContent()).toMatch(/^hot: \d+ rows/);
    expect(await cells.nth(0).locator('.cell-status').textContent()).toBe('done [1]');
    expect(await cells.nth(1).locator('.kernel-notice').count()).toBe(0);
    await page.context().close();
  }, 120_000);

  it('gives a page\'s kernel back when the learner leaves it', async () => {
    const { url, token } = site.jupyter();
    const kernels = async () => ((await (await fetch(`${url}api/sessions`, { headers: { authorization: `token ${token}` } })).json()) as Array<{ path: string }>)
      .filter((s) => s.path.endsWith('/lessons/05-bronze-silver-gold.ipynb')).length;
    const page = await open('/lessons/05-bronze-silver-gold');
    expect(await kernels()).toBe(0);
    await page.locator('section.cell').first().getByRole('button', { name: 'Run' }).click();
    await page.locator('section.cell').first().locator('.cell-status', { hasText: /^done/ }).waitFor({ timeout: 60_000 });
    expect(await kernels()).toBe(1);
    // A link inside the site (no page load): the lesson unmounts and releases its kernel.
    await page.locator('a[rel="next"]').click();
    await page.waitForURL(/06-dag-and-executor/);
    for (let i = 0; i < 50 && (await kernels()) > 0; i++) await new Promise((r) => setTimeout(r, 200));
    expect(await kernels()).toBe(0);
    await page.context().close();
  }, 120_000);

  it('shows a DAG at a legible size on a 390-px phone, in a frame that scrolls', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true });
    const page = await context.newPage();
    await page.goto(`${base}/notebooks/quickstart`);
    const dag = page.locator('img.output-svg[alt^="flowchart"]').first();
    await dag.waitFor();
    const sizes = await dag.evaluate((img: HTMLImageElement) => ({ shown: img.getBoundingClientRect().width, natural: img.naturalWidth, frame: img.parentElement!.clientWidth, scroll: img.parentElement!.scrollWidth }));
    // At 1:1 the labels keep their 12 px; the frame scrolls sideways instead of shrinking them.
    expect(sizes.shown).toBe(sizes.natural);
    expect(sizes.natural).toBeGreaterThan(sizes.frame);
    expect(sizes.scroll).toBeGreaterThan(sizes.frame);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dag-phone.png') });
    await context.close();
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
