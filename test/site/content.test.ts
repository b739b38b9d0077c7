/**
 * The content is tested: every lesson's cells run on the real odibi kernel, through the site's own
 * kernel gateway and a real Jupyter server, in page order, and must succeed (unless marked as
 * expected to fail); every exercise's solution must pass its own check, and its starter must not.
 * Every notebook's cells run too.
 */
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { DATA_DIR, EXAMPLES_DIR, startSiteKernels } from '../helpers/site-kernels.js';
import { KernelGateway } from '../../site/lib/kernel/gateway.js';
import { lessonSteps } from '../../site/lib/content/extract.js';
import { inspectedString } from '../../site/lib/content/inspected.js';
import { listLessons } from '../../site/lib/content/lessons.js';
import { getNotebook, listNotebooks } from '../../site/lib/content/notebooks.js';

let gw: KernelGateway;

beforeAll(async () => {
  // Sandboxed, with the limits `npm start` uses: the content must work for a real visitor.
  const j = await startSiteKernels();
  gw = new KernelGateway({
    baseUrl: j.baseUrl, token: j.token, rootDir: j.rootDir, sandboxStateDir: j.sandboxStateDir,
    dataDir: DATA_DIR, examplesDir: EXAMPLES_DIR,
    maxKernels: 2, idleMs: 60_000, timeoutMs: 60_000,
  });
  return () => gw.dispose();
}, 60_000);

async function run(page: string, code: string) {
  const outputs: { type: string; content: Record<string, unknown> }[] = [];
  const result = await gw.execute('content-test', page, code, (type, content) => outputs.push({ type, content }));
  const text = outputs.map((o) => (o.type === 'stream' ? String(o.content.text) : o.type === 'error' ? `${o.content.ename}: ${o.content.evalue}` : String((o.content.data as Record<string, unknown> | undefined)?.['text/plain'] ?? ''))).join('\n');
  return { ...result, text };
}

const verdict = (text: string) => JSON.parse(inspectedString(text.trim())) as { pass: boolean; message: string };

describe('lessons', async () => {
  const lessons = await listLessons();
  it('there is a path of lessons with exercises', () => {
    expect(lessons.length).toBeGreaterThanOrEqual(2);
  });
  /** Every cell in order, and each exercise's solution, check and starter, on the page's kernel. */
  async function runLesson(slug: string, page: string): Promise<void> {
    const steps = await lessonSteps(slug);
    expect(steps.some((s) => s.kind === 'exercise'), 'each lesson has at least one exercise').toBe(true);
    for (const step of steps) {
      if (step.kind === 'cell') {
        const r = await run(page, step.code);
        expect(r.status, `${slug}: cell\n${step.code}\n→ ${r.text}`).toBe(step.expectError ? 'error' : 'ok');
      } else {
        const r = await run(page, step.solution);
        expect(r.status, `${slug}: solution of ${step.id}\n→ ${r.text}`).toBe('ok');
        const c = await run(page, step.check);
        expect(c.status, `${slug}: check of ${step.id}\n→ ${c.text}`).toBe('ok');
        expect(verdict(c.text), `${slug}: ${step.id}`).toMatchObject({ pass: true });
        // The starter is where the learner begins: it must not already pass.
        const s = await run(page, step.starter);
        if (s.status === 'ok') {
          const again = await run(page, step.check);
          expect(again.status, `${slug}: the check of ${step.id} fails to run after the starter\n→ ${again.text}`).toBe('ok');
          expect(verdict(again.text).pass, `${slug}: the starter of ${step.id} passes its check`).toBe(false);
        }
        await run(page, step.solution);
      }
    }
  }
  for (const lesson of lessons) {
    it(`${lesson.slug}: every cell runs and every exercise's solution passes its check`, async () => {
      const page = `lessons/${lesson.slug}`;
      onTestFinished(() => gw.release('content-test', page));
      await runLesson(lesson.slug, page);
    }, 180_000);
  }
  it('12-scheduling: a second visit on the same kernel passes too (runs of the first do not count)', async () => {
    const page = 'lessons/12-scheduling';
    onTestFinished(() => gw.release('content-test', page));
    await runLesson('12-scheduling', page);
    await runLesson('12-scheduling', page);
  }, 180_000);
});

describe('notebooks', async () => {
  for (const nb of await listNotebooks()) {
    it(`${nb.slug}: every cell runs on the kernel`, async () => {
      const page = `notebooks/${nb.slug}`;
      const notebook = (await getNotebook(nb.slug))!;
      onTestFinished(() => gw.release('content-test', page));
      for (const cell of notebook.cells) {
        if (cell.kind !== 'code') continue;
        const r = await run(page, cell.source);
        expect(r.status, `${nb.slug}: cell\n${cell.source}\n→ ${r.text}`).toBe(cell.expectError ? 'error' : 'ok');
      }
    }, 180_000);
  }
});
