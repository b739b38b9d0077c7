/**
 * The content is tested: every lesson's cells run on the real odibi kernel, through the site's own
 * kernel gateway and a real Jupyter server, in page order, and must succeed (unless marked as
 * expected to fail); every exercise's solution must pass its own check, and its starter must not.
 * Every notebook's cells run too.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { startJupyter } from '../helpers/jupyter-server.js';
import { KernelGateway } from '../../site/lib/kernel/gateway.js';
import { lessonSteps } from '../../site/lib/content/extract.js';
import { listLessons } from '../../site/lib/content/lessons.js';
import { getNotebook, listNotebooks } from '../../site/lib/content/notebooks.js';

let gw: KernelGateway;

beforeAll(async () => {
  const j = await startJupyter();
  gw = new KernelGateway({
    baseUrl: j.baseUrl, token: j.token, rootDir: j.root,
    dataDir: path.join(REPO, 'examples/iot/data'), examplesDir: path.join(REPO, 'examples'),
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

const verdict = (text: string) => JSON.parse(text.trim()) as { pass: boolean; message: string };

describe('lessons', async () => {
  const lessons = await listLessons();
  it('there is a path of lessons with exercises', () => {
    expect(lessons.length).toBeGreaterThanOrEqual(2);
  });
  for (const lesson of lessons) {
    it(`${lesson.slug}: every cell runs and every exercise's solution passes its check`, async () => {
      const page = `lessons/${lesson.slug}`;
      const steps = await lessonSteps(lesson.slug);
      expect(steps.some((s) => s.kind === 'exercise'), 'each lesson has at least one exercise').toBe(true);
      onTestFinished(() => gw.release('content-test', page));
      for (const step of steps) {
        if (step.kind === 'cell') {
          const r = await run(page, step.code);
          expect(r.status, `${lesson.slug}: cell\n${step.code}\n→ ${r.text}`).toBe(step.expectError ? 'error' : 'ok');
        } else {
          const r = await run(page, step.solution);
          expect(r.status, `${lesson.slug}: solution of ${step.id}\n→ ${r.text}`).toBe('ok');
          const c = await run(page, step.check);
          expect(c.status, `${lesson.slug}: check of ${step.id}\n→ ${c.text}`).toBe('ok');
          expect(verdict(c.text), `${lesson.slug}: ${step.id}`).toMatchObject({ pass: true });
          // The starter is where the learner begins: it must not already pass.
          const s = await run(page, step.starter);
          if (s.status === 'ok') {
            const again = await run(page, step.check);
            expect(again.status, `${lesson.slug}: the check of ${step.id} fails to run after the starter\n→ ${again.text}`).toBe('ok');
            expect(verdict(again.text).pass, `${lesson.slug}: the starter of ${step.id} passes its check`).toBe(false);
          }
          await run(page, step.solution);
        }
      }
    }, 180_000);
  }
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
